/**
 * Time windows for the timeline and the URL forms that hold them.
 *
 * A preset (`?preset=1h`) is relative: "the last hour" whenever the link is opened, and it follows
 * live changes. An absolute window (`?from=ISO&to=ISO`) is what an incident link pins; it wins over a
 * preset when both are given.
 */

export const PRESETS = [
  { id: '15m', label: '15 min', ms: 15 * 60_000 },
  { id: '1h', label: '1 h', ms: 3_600_000 },
  { id: '24h', label: '24 h', ms: 86_400_000 },
  { id: '7d', label: '7 d', ms: 7 * 86_400_000 },
] as const;

export type PresetId = (typeof PRESETS)[number]['id'];

export interface TimeRange {
  from: string;
  to: string;
  /** The preset it came from, or null for an absolute window. */
  preset: PresetId | null;
}

/** How close to now the end of a window must be for the window to count as including now (clock skew, slow links). */
export const NOW_SLACK_MS = 60_000;

export function presetOf(id: unknown): (typeof PRESETS)[number] | undefined {
  return PRESETS.find((p) => p.id === id);
}

function iso(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

/** The window a query describes at `now`: absolute from/to, else a preset, else `fallback`. */
export function resolveRange(query: Record<string, unknown>, now: number, fallback: PresetId = '24h'): TimeRange {
  const from = iso(first(query.from));
  const to = iso(first(query.to));
  if (from && to && Date.parse(from) < Date.parse(to)) return { from, to, preset: null };
  const p = presetOf(first(query.preset)) ?? presetOf(fallback)!;
  return { from: new Date(now - p.ms).toISOString(), to: new Date(now).toISOString(), preset: p.id };
}

/** The query keys for a window: a preset stays relative; anything else is pinned. */
export function rangeToQuery(r: TimeRange): { preset?: string; from?: string; to?: string } {
  return r.preset ? { preset: r.preset } : { from: r.from, to: r.to };
}

/** The same window pinned to absolute times, for a link to paste into an incident channel. */
export function pinRange(r: TimeRange): TimeRange {
  return { from: r.from, to: r.to, preset: null };
}

/** True when the window reaches now, so live events belong in it. */
export function includesNow(r: TimeRange, now: number): boolean {
  return r.preset !== null || Date.parse(r.to) >= now - NOW_SLACK_MS;
}

/** A window of `ms` around an instant (e.g. the 10 minutes around a hotfix). */
export function around(atIso: string, ms: number): TimeRange {
  const t = Date.parse(atIso);
  return { from: new Date(t - ms / 2).toISOString(), to: new Date(t + ms / 2).toISOString(), preset: null };
}

/** The window twice as long around the same centre. */
export function zoomOut(r: TimeRange, factor = 2): TimeRange {
  const f = Date.parse(r.from);
  const t = Date.parse(r.to);
  const half = ((t - f) * factor) / 2;
  const c = (f + t) / 2;
  return { from: new Date(c - half).toISOString(), to: new Date(c + half).toISOString(), preset: null };
}

/** True when [from, to] lies inside [outerFrom, outerTo]. */
export function within(inner: { from: string; to: string }, outer: { from: string; to: string }): boolean {
  return Date.parse(inner.from) >= Date.parse(outer.from) && Date.parse(inner.to) <= Date.parse(outer.to);
}

/** Human label: "last 24 h" or "Nov 27 14:02 – 14:12". */
export function describeRange(r: TimeRange, fmt: (iso: string) => string): string {
  if (r.preset) return `last ${presetOf(r.preset)!.label}`;
  return `${fmt(r.from)} – ${fmt(r.to)}`;
}
