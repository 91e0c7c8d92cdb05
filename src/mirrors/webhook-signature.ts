import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';

/**
 * What a webhook request claims to prove, read from its headers alone (before its body):
 * GitHub's `X-Hub-Signature-256: sha256=HMAC`, Gitea/Gogs `X-Gitea-Signature`/`X-Gogs-Signature:
 * HMAC` (HMAC-SHA256 of the body, hex), GitLab's `X-Gitlab-Token: SECRET`, or `Authorization:
 * Bearer SECRET`.
 */
export type WebhookClaim = { readonly kind: 'hmac'; readonly hex: string } | { readonly kind: 'secret'; readonly value: string };

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The request's claim, or undefined when it carries none of the headers above. */
export function webhookClaimOf(headers: Headers): WebhookClaim | undefined {
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const hub = header('x-hub-signature-256');
  if (hub !== undefined) return { kind: 'hmac', hex: hub.trim().toLowerCase().replace(/^sha256=/, '') };
  const gitea = header('x-gitea-signature') ?? header('x-gogs-signature');
  if (gitea !== undefined) return { kind: 'hmac', hex: gitea.trim().toLowerCase() };
  const gitlab = header('x-gitlab-token');
  if (gitlab !== undefined) return { kind: 'secret', value: gitlab };
  const auth = header('authorization');
  if (auth !== undefined && /^Bearer\s+/i.test(auth)) return { kind: 'secret', value: auth.replace(/^Bearer\s+/i, '') };
  return undefined;
}

/**
 * Checks a claim against `secret` as the body streams through `update` (nothing of the body is
 * kept): call `update` for each chunk, then `matches` once.
 */
export class WebhookVerifier {
  private readonly hmac: Hmac | undefined;

  constructor(
    private readonly claim: WebhookClaim,
    private readonly secret: string,
  ) {
    this.hmac = claim.kind === 'hmac' ? createHmac('sha256', secret) : undefined;
  }

  update(chunk: Buffer): void {
    this.hmac?.update(chunk);
  }

  matches(): boolean {
    return this.claim.kind === 'hmac' ? same(this.claim.hex, (this.hmac as Hmac).digest('hex')) : same(this.claim.value, this.secret);
  }
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
