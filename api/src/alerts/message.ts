import { z } from 'zod';

/**
 * The provider-neutral alert message, as stored in the outbox (`deliveries.message`)
 * and sent as is (plus `type`) by the generic webhook channel. Versioned: a row is
 * read through `readMessage`, which validates it and upgrades older versions.
 *
 * Every time in it is an ISO string, and every relative time a channel shows is
 * measured from `generatedAt`, so rendering a stored message is deterministic:
 * each retry sends the same bytes (and the same signature).
 */

export const DRIFT_TYPES = ['missing', 'modified', 'orphaned', 'unmanaged'] as const;
export type DriftType = (typeof DRIFT_TYPES)[number];
export const ITEM_STATES = ['new', 'persisting', 'resolved'] as const;
export type ItemState = (typeof ITEM_STATES)[number];
export const MESSAGE_KINDS = ['drift', 'reminder', 'resolved', 'digest', 'test'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** Items listed per environment in a stored message; channels cut further to their own limits. */
export const STORED_ITEMS_PER_SECTION = 50;
/** Diff lines kept per item. */
export const DIFF_LINES_PER_ITEM = 4;

const countsSchema = z.strictObject({
  total: z.number().int().min(0),
  byKind: z.record(z.string(), z.number().int().min(0)),
});

export const messageItemSchema = z.strictObject({
  state: z.enum(ITEM_STATES),
  group: z.string(),
  kind: z.string(),
  namespace: z.string(),
  name: z.string(),
  type: z.enum(DRIFT_TYPES),
  summary: z.string(),
  /** A short diff: one line per changed field, Git → cluster. */
  diff: z.array(z.string()),
  /** When the drift began (the interval's opened_at). */
  since: z.string(),
  /** Who or what caused it: the field manager of a live change, or a commit and its author. */
  cause: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  resolvedBy: z.string().nullable(),
});

export const messageSectionSchema = z.strictObject({
  environment: z.string(),
  /** The Driftline drift page of the environment (null when server.baseUrl is not configured). */
  link: z.string().nullable(),
  counts: z.strictObject({ new: countsSchema, persisting: countsSchema, resolved: countsSchema }),
  items: z.array(messageItemSchema),
  /** Items left out of `items` (beyond STORED_ITEMS_PER_SECTION). */
  omitted: z.number().int().min(0),
});

export const messageV1Schema = z.strictObject({
  v: z.literal(1),
  /** Stable message id: the delivery's idempotency key is derived from it and the channel. */
  id: z.string(),
  kind: z.enum(MESSAGE_KINDS),
  rule: z.string().nullable(),
  /** The schedule tick this message belongs to. */
  tick: z.string(),
  generatedAt: z.string(),
  title: z.string(),
  sections: z.array(messageSectionSchema),
});

export type MessageCounts = z.infer<typeof countsSchema>;
export type MessageItem = z.infer<typeof messageItemSchema>;
export type MessageSection = z.infer<typeof messageSectionSchema>;
export type AlertMessage = z.infer<typeof messageV1Schema>;

/** Read a stored message: validate it, upgrading older versions (there are none yet). */
export function readMessage(raw: unknown): AlertMessage {
  const v = raw && typeof raw === 'object' ? (raw as { v?: unknown }).v : undefined;
  if (v === 1) return messageV1Schema.parse(raw);
  throw new Error(`unsupported alert message version ${JSON.stringify(v)}`);
}

export function emptyCounts(): MessageCounts {
  return { total: 0, byKind: {} };
}

export function countByKind(items: { kind: string }[]): MessageCounts {
  const byKind: Record<string, number> = {};
  for (const i of items) byKind[i.kind] = (byKind[i.kind] ?? 0) + 1;
  return { total: items.length, byKind: Object.fromEntries(Object.entries(byKind).sort(([a], [b]) => a.localeCompare(b))) };
}

/** "3 (Deployment 2, ConfigMap 1)" */
export function describeCounts(c: MessageCounts): string {
  const parts = Object.entries(c.byKind)
    .sort(([ka, a], [kb, b]) => b - a || ka.localeCompare(kb))
    .map(([k, n]) => `${k} ${n}`);
  return parts.length ? `${c.total} (${parts.join(', ')})` : String(c.total);
}

/** The message title a channel shows first. */
export function titleFor(kind: MessageKind, rule: string | null, sections: Pick<MessageSection, 'environment' | 'counts'>[]): string {
  const env = sections.map((s) => s.environment).join(', ');
  const s = sections[0];
  switch (kind) {
    case 'drift': {
      const parts = [`${s?.counts.new.total ?? 0} new`];
      if (s?.counts.persisting.total) parts.push(`${s.counts.persisting.total} persisting`);
      if (s?.counts.resolved.total) parts.push(`${s.counts.resolved.total} resolved`);
      return `Drift in ${env}: ${parts.join(', ')}`;
    }
    case 'reminder':
      return `Still drifted in ${env}: ${s?.counts.persisting.total ?? 0} object${s?.counts.persisting.total === 1 ? '' : 's'}`;
    case 'resolved':
      return `Drift resolved in ${env}: ${s?.counts.resolved.total ?? 0} object${s?.counts.resolved.total === 1 ? '' : 's'} back in sync`;
    case 'digest': {
      const drifted = sections.reduce((n, x) => n + x.counts.new.total + x.counts.persisting.total, 0);
      return `Drift digest${rule ? ` (${rule})` : ''}: ${drifted ? `${drifted} drifted object${drifted === 1 ? '' : 's'}` : 'everything in sync'} in ${env}`;
    }
    case 'test':
      return 'Driftline test message';
  }
}

/** "in prod/shop" style identity of an item: Kind namespace/name. */
export function objectLabel(i: Pick<MessageItem, 'kind' | 'namespace' | 'name'>): string {
  return `${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name}`;
}

/** "2h 5m" between two ISO times (never negative). */
export function formatAge(fromIso: string, toIso: string): string {
  const s = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? ` ${h % 24}h` : ''}`;
}

/** "2026-06-01 10:30 UTC" */
export function formatTime(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ') + ' UTC';
}

/** What is wrong with an object, after its name: the diff lines say the rest of a modification. */
export function itemHeadline(i: MessageItem): string {
  if (i.state === 'resolved') return `was ${i.type}`;
  if (i.type === 'modified' && i.diff.length) return 'modified';
  return `${i.type}: ${i.summary}`;
}

/** One line saying since when and by whom (or what resolved it). */
export function itemWhen(i: MessageItem, generatedAt: string): string {
  if (i.state === 'resolved') {
    return `resolved${i.resolvedAt ? ` ${formatTime(i.resolvedAt)}` : ''}${i.resolvedBy ? ` by ${i.resolvedBy}` : ''}; drifted since ${formatTime(i.since)}`;
  }
  return `since ${formatTime(i.since)} (${formatAge(i.since, generatedAt)})${i.cause ? ` · by ${i.cause}` : ''}`;
}

export const STATE_LABEL: Record<ItemState, string> = { new: 'NEW', persisting: 'STILL', resolved: 'RESOLVED' };
