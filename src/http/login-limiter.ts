import { FerryError } from '../domain/errors.js';

/**
 * Slows down password and token guessing: after `allowed` failures from one address within
 * `windowMs`, that address is refused (429) until the window has passed. Success clears it.
 */
export class FailedLoginLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly allowed = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  check(client: string): void {
    const entry = this.failures.get(client);
    if (!entry) return;
    if (this.now() - entry.since > this.windowMs) {
      this.failures.delete(client);
      return;
    }
    if (entry.count >= this.allowed) {
      const wait = Math.ceil((entry.since + this.windowMs - this.now()) / 1000);
      throw new FerryError('FERRY_RATE_LIMITED', `too many failed sign-ins from ${client}; try again in ${wait}s`, { data: { retryAfter: wait } });
    }
  }

  fail(client: string): void {
    const entry = this.failures.get(client);
    if (!entry || this.now() - entry.since > this.windowMs) this.failures.set(client, { count: 1, since: this.now() });
    else entry.count++;
    if (this.failures.size > 100_000) this.failures.clear();
  }

  succeed(client: string): void {
    this.failures.delete(client);
  }
}
