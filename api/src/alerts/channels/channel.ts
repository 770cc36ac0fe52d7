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
 * How many items each section shows: the largest per-section cap (at most
 * `max`) for which `fits(counts)` holds, found by binary search (rendering is
 * the costly part), so every environment keeps a fair share of the space.
 */
export function fitItemCounts(sections: MessageSection[], max: number, fits: (counts: number[]) => boolean): number[] {
  const withCap = (cap: number) => sections.map((s) => Math.min(cap, s.items.length));
  const most = Math.min(max, Math.max(0, ...sections.map((s) => s.items.length)));
  if (fits(withCap(most))) return withCap(most);
  let lo = 0; // fits (or nothing fits: then 0 is the best there is)
  let hi = most; // does not fit
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (fits(withCap(mid))) lo = mid;
    else hi = mid;
  }
  return withCap(lo);
}

export const KIND_COLOR: Record<AlertMessage['kind'], string> = {
  drift: '#d9534f',
  reminder: '#f0ad4e',
  resolved: '#5cb85c',
  digest: '#5bc0de',
  test: '#777777',
};
