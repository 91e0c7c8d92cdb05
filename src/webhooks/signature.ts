import { createHmac } from 'node:crypto';

/**
 * The signature headers of a delivery: HMAC-SHA256 of the exact body bytes with the hook's secret,
 * as GitHub (`X-Hub-Signature-256: sha256=HEX`, docs.github.com "Validating webhook deliveries")
 * and Gitea (`X-Gitea-Signature: HEX`) send it. No headers without a secret.
 */
export function signatureHeaders(body: string, secret: string): Record<string, string> {
  if (secret === '') return {};
  const hex = createHmac('sha256', secret).update(body, 'utf8').digest('hex');
  return { 'x-hub-signature-256': `sha256=${hex}`, 'x-gitea-signature': hex };
}
