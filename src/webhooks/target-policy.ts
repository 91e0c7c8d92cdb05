import ipaddr from 'ipaddr.js';
import { FerryError, InvalidInputError } from '../domain/errors.js';

/**
 * Where a hook may deliver, from `[webhooks] allowed_hosts` (Gitea's ALLOWED_HOST_LIST): public
 * addresses always; besides them, what the list names — `loopback`, `private` (RFC 1918, RFC 4193
 * unique-local, link-local), `external` (public only, the same as an empty list), `*` (anything),
 * host names (`*` matches any run of characters) and CIDRs (`10.0.0.0/8`, `fd00::/8`).
 * Cloud metadata addresses (169.254.169.254, fd00:ec2::254, 100.100.100.200) are link-local or
 * private and so refused unless allowed.
 */
export interface TargetPolicy {
  /** Why `address` (an IP literal, after DNS) may not be reached for `host`; undefined when it may. */
  refusal(host: string, address: string): string | undefined;
}

type Rule =
  | { readonly kind: 'all' }
  | { readonly kind: 'loopback' }
  | { readonly kind: 'private' }
  | { readonly kind: 'cidr'; readonly range: [ipaddr.IPv4 | ipaddr.IPv6, number] }
  | { readonly kind: 'host'; readonly pattern: RegExp };

/** Ranges that are the public internet (ipaddr.js names the others). */
const PUBLIC_RANGES = new Set(['unicast']);
const PRIVATE_RANGES = new Set(['private', 'uniqueLocal', 'linkLocal', 'carrierGradeNat']);

/**
 * Parses the setting. Throws FERRY_CONFIG on an entry that is none of the forms above.
 */
export function parseAllowedHosts(setting: string): TargetPolicy {
  const rules: Rule[] = [];
  for (const entry of setting.split(/[\s,]+/).filter(Boolean)) {
    const word = entry.toLowerCase();
    if (word === '*') rules.push({ kind: 'all' });
    else if (word === 'loopback') rules.push({ kind: 'loopback' });
    else if (word === 'private') rules.push({ kind: 'private' });
    else if (word === 'external') continue;
    else if (word.includes('/')) {
      try {
        rules.push({ kind: 'cidr', range: ipaddr.parseCIDR(word) });
      } catch {
        throw new FerryError('FERRY_CONFIG', `[webhooks] allowed_hosts: ${JSON.stringify(entry)} is not a CIDR; write it like 10.0.0.0/8`);
      }
    } else if (/^[a-z0-9*._:-]+$/.test(word)) {
      rules.push({ kind: 'host', pattern: new RegExp(`^${word.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`) });
    } else {
      throw new FerryError('FERRY_CONFIG', `[webhooks] allowed_hosts: ${JSON.stringify(entry)} is not loopback, private, external, *, a host name or a CIDR`);
    }
  }
  return {
    refusal(host: string, address: string): string | undefined {
      let ip: ipaddr.IPv4 | ipaddr.IPv6;
      try {
        ip = ipaddr.process(address);
      } catch {
        return `${address} is not an IP address`;
      }
      const range = ip.range();
      if (PUBLIC_RANGES.has(range)) return undefined;
      const name = host.toLowerCase().replace(/^\[|\]$/g, '');
      for (const rule of rules) {
        if (rule.kind === 'all') return undefined;
        if (rule.kind === 'loopback' && range === 'loopback') return undefined;
        if (rule.kind === 'private' && PRIVATE_RANGES.has(range)) return undefined;
        if (rule.kind === 'cidr' && ip.kind() === rule.range[0].kind() && ip.match(rule.range)) return undefined;
        if (rule.kind === 'host' && rule.pattern.test(name)) return undefined;
      }
      const what = range === 'loopback' ? 'loopback' : PRIVATE_RANGES.has(range) ? (range === 'linkLocal' ? 'link-local (cloud metadata lives here)' : 'private') : `${range}`;
      const via = name === address ? '' : ` (${host} resolves to it)`;
      return `${address}${via} is a ${what} address; an admin may allow it with [webhooks] allowed_hosts`;
    },
  };
}

/** A hook URL that passed the checks made when it is added: http(s), a host, no credentials. */
export interface HookUrl {
  readonly url: URL;
}

/** The longest webhook URL taken (what browsers and most proxies handle; Gitea's column is TEXT). */
export const MAX_HOOK_URL_LENGTH = 2048;

/**
 * Checks a hook URL as typed: http:// or https://, a host, no user or password (use --secret), and,
 * when the host is an IP literal, an address `policy` allows. Names are checked on every delivery,
 * on the address actually connected to (a name may resolve elsewhere by then).
 * @throws FerryError FERRY_UNSAFE_HOOK_URL saying what to change; InvalidInputError for a URL over MAX_HOOK_URL_LENGTH.
 */
export function parseHookUrl(raw: string, policy: TargetPolicy): HookUrl {
  if (raw.length > MAX_HOOK_URL_LENGTH) throw new InvalidInputError(`a webhook URL is at most ${MAX_HOOK_URL_LENGTH} characters (this one has ${raw.length}); give the receiver's address, like https://ci.example.com/hook`);
  const unsafe = (why: string) => new FerryError('FERRY_UNSAFE_HOOK_URL', `refusing webhook URL ${JSON.stringify(raw)}: ${why}`, { data: { url: raw } });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw unsafe('it is not a URL; write it like https://ci.example.com/hook');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw unsafe(`the scheme ${url.protocol}// is not supported; use https:// or http://`);
  if (url.hostname === '') throw unsafe('it has no host');
  if (url.username !== '' || url.password !== '') throw unsafe('it holds a user or password; sign deliveries with --secret instead');
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(literal)) {
    const refusal = policy.refusal(literal, literal);
    if (refusal) throw unsafe(refusal);
  }
  return { url };
}
