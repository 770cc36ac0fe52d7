import type { ChannelConfig } from '../../config/schema';
import type { AlertMessage, MessageSection } from '../message';

export type ChannelType = ChannelConfig['type'];

/** What a provider accepts, as documented by the provider. Renderers cut to these. */
export interface ChannelLimits {
  /** Documented limits, for the API and tests (name → value). */
  documented: Record<string, number>;
  /** The largest request body this renderer produces, in bytes (UTF-8). */
  maxBodyBytes: number;
}

export interface RenderContext {
  channel: Pick<ChannelConfig, 'name' | 'type' | 'secret'>;
  /** The delivery's stable idempotency key (the sender puts it in the Idempotency-Key header). */
  idempotencyKey: string;
}

export interface RenderedRequest {
  /** The raw JSON body, exactly as sent (and, for the generic webhook, signed). */
  body: string;
  /** Provider-specific headers; the sender adds Content-Type, User-Agent and Idempotency-Key. */
  headers: Record<string, string>;
}

/**
 * One chat provider: turns the neutral message into the provider's payload,
 * within the provider's limits. Sending is shared (sender.ts): every provider
 * is an HTTP POST of a JSON body to the channel's webhook URL.
 */
export interface ChatChannel {
  readonly type: ChannelType;
  readonly limits: ChannelLimits;
  render(message: AlertMessage, ctx: RenderContext): RenderedRequest;
}

/** Cut a string to `max` characters (code points), ending with "…" when cut. */
export function truncate(s: string, max: number): string {
  if (max <= 0) return '';
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

export function charLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** "and 12 more" */
export function andMore(n: number, noun = ''): string {
  return `and ${n} more${noun ? ` ${noun}` : ''}`;
}

/** Items a section holds beyond the `shown` first ones (including those the stored message already left out). */
export function hiddenCount(section: MessageSection, shown: number): number {
  return section.items.length - shown + section.omitted;
}

/**
 * The largest numbers of items per section (at most `max` each) for which
 * `fits(counts)` holds, reducing the section showing the most items first.
 */
export function fitItemCounts(sections: MessageSection[], max: number, fits: (counts: number[]) => boolean): number[] {
  const counts = sections.map((s) => Math.min(max, s.items.length));
  while (!fits(counts)) {
    let at = -1;
    for (let i = 0; i < counts.length; i++) if (counts[i]! > 0 && (at < 0 || counts[i]! >= counts[at]!)) at = i;
    if (at < 0) break; // nothing left to cut
    counts[at]!--;
  }
  return counts;
}

export const KIND_COLOR: Record<AlertMessage['kind'], string> = {
  drift: '#d9534f',
  reminder: '#f0ad4e',
  resolved: '#5cb85c',
  digest: '#5bc0de',
  test: '#777777',
};
