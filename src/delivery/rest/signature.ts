import { createHmac } from 'node:crypto';

/** Headers of a signed webhook request; docs/webhooks.md shows how a receiver verifies them. */
export const SIGNATURE_HEADERS = {
  id: 'x-datastreamer-id',
  timestamp: 'x-datastreamer-timestamp',
  signature: 'x-datastreamer-signature',
} as const;

/**
 * Computes `v1=<hex HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`. The
 * timestamp is in Unix seconds, so receivers can reject old requests.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('hex');
  return `v1=${digest}`;
}
