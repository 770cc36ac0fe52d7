import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { AlertMessage, messageV1Schema } from '../message';
import { ChatChannel } from './channel';

/**
 * The generic webhook: a POST of a versioned JSON document (schema below,
 * documented in ./WEBHOOK.md) with these headers:
 *
 * - `Idempotency-Key`: stable per delivery; the same on every retry.
 * - `X-Driftline-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body with the
 *   channel's `secret` (absent when the channel has no secret).
 * - `X-Driftline-Event`: `alert.<kind>` (drift, reminder, resolved, digest, test).
 *
 * Nothing is cut: the document carries up to 50 items per environment and says
 * how many it left out (`omitted`).
 */
export const WEBHOOK_EVENT_TYPE = 'driftline.alert';

export const webhookPayloadV1Schema = messageV1Schema.extend({ type: z.literal(WEBHOOK_EVENT_TYPE) });
export type WebhookPayloadV1 = z.infer<typeof webhookPayloadV1Schema>;

export function webhookPayload(m: AlertMessage): WebhookPayloadV1 {
  // `v` and `type` first, so a reader sees the version before anything else.
  const { v, ...rest } = m;
  return { v, type: WEBHOOK_EVENT_TYPE, ...rest };
}

/** `sha256=<hex HMAC-SHA256 of the raw body>` */
export function signBody(rawBody: string | Buffer, secret: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(rawBody).digest('hex');
}

/** Constant-time check of a received X-Driftline-Signature header (for receivers and tests). */
export function verifySignature(rawBody: string | Buffer, secret: string, header: string | undefined | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(rawBody, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export const webhookChannel: ChatChannel = {
  type: 'webhook',
  limits: { documented: { itemsPerEnvironment: 50 }, maxBodyBytes: 1_000_000 },
  render(m, ctx) {
    const body = JSON.stringify(webhookPayload(m));
    const headers: Record<string, string> = { 'X-Driftline-Event': `alert.${m.kind}` };
    if (ctx.channel.secret) headers['X-Driftline-Signature'] = signBody(body, ctx.channel.secret);
    return { body, headers };
  },
};
