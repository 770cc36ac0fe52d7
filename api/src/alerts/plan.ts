import picomatch from 'picomatch';
import type { AlertConfig } from '../config/schema';
import {
  AlertMessage,
  countByKind,
  DIFF_LINES_PER_ITEM,
  DriftType,
  MessageItem,
  MessageKind,
  MessageSection,
  STORED_ITEMS_PER_SECTION,
  titleFor,
} from './message';

/**
 * Pure alerting decisions: which drift a rule sees, what is new, persisting or
 * resolved against what was announced before, and whether a message goes out.
 * No I/O: the evaluator feeds rows in and writes the result.
 */

/** An open drift interval of an environment, joined with its object. */
export interface DriftIntervalView {
  intervalId: number;
  objectId: number;
  type: DriftType;
  openedAt: Date;
  closedAt: Date | null;
  openedBy: Record<string, unknown> | null;
  closedBy: Record<string, unknown> | null;
  summary: string;
  changes: unknown[];
  group: string;
  kind: string;
  namespace: string;
  name: string;
}

/** An announced interval not yet resolved, with what the drift context knows of it now. */
export interface AnnouncementView extends DriftIntervalView {
  firstAnnouncedAt: Date;
  lastAnnouncedAt: Date;
}

export interface RuleView {
  name: string;
  grace: number;
  reminder?: number;
  notifyResolved: boolean;
  digest: boolean;
  kinds: string[];
  namespaces: string[];
  driftTypes: DriftType[];
}

/** Drift types a rule watches when it names none: the ones that count as drift. */
export const DEFAULT_DRIFT_TYPES: DriftType[] = ['missing', 'modified', 'orphaned'];

export type IntervalFilter = (i: Pick<DriftIntervalView, 'type' | 'group' | 'kind' | 'namespace'>) => boolean;

/**
 * Kinds match `Kind` or `group/Kind`, case-insensitively; namespaces are globs
 * (cluster-scoped objects have the namespace ""); drift types default to those
 * that count as drift (not `unmanaged`).
 */
export function ruleFilter(rule: Pick<AlertConfig, 'kinds' | 'namespaces' | 'driftTypes'>): IntervalFilter {
  const kinds = new Set(rule.kinds.map((k) => k.toLowerCase()));
  const ns = rule.namespaces.length ? picomatch(rule.namespaces, { dot: true }) : null;
  const types = new Set<string>(rule.driftTypes.length ? rule.driftTypes : DEFAULT_DRIFT_TYPES);
  return (i) => {
    if (!types.has(i.type)) return false;
    if (kinds.size && !kinds.has(i.kind.toLowerCase()) && !kinds.has(`${i.group}/${i.kind}`.toLowerCase())) return false;
    if (ns && !ns(i.namespace)) return false;
    return true;
  };
}

/** Whether an interval open at `now` is old enough to be announced. */
export function pastGrace(i: Pick<DriftIntervalView, 'openedAt'>, now: Date, graceMs: number): boolean {
  return now.getTime() - i.openedAt.getTime() >= graceMs;
}

export function announcementKey(i: { objectId: number; type: string; openedAt: Date }): string {
  return `${i.objectId}|${i.type}|${i.openedAt.toISOString()}`;
}

export interface EnvironmentPlan {
  environment: string;
  new: DriftIntervalView[];
  persisting: AnnouncementView[];
  resolved: AnnouncementView[];
  /** The message this environment needs now, if any (digest rules decide per tick, not here). */
  kind: Exclude<MessageKind, 'digest' | 'test'> | null;
}

/**
 * Compare what a rule sees now (`eligible`: open, past grace, matching the rule)
 * with what it announced and has not resolved (`announced`):
 * - new: eligible and never announced → a `drift` message;
 * - persisting: eligible and announced → a `reminder` once `reminder` has passed
 *   since it was last shown (never without a reminder interval);
 * - resolved: announced and no longer eligible → a `resolved` message when the
 *   rule notifies resolutions. A message that goes out for another reason
 *   carries the resolutions too.
 */
export function planEnvironment(environment: string, eligible: DriftIntervalView[], announced: AnnouncementView[], rule: Pick<RuleView, 'reminder' | 'notifyResolved'>, now: Date): EnvironmentPlan {
  const byKey = new Map(announced.map((a) => [announcementKey({ objectId: a.objectId, type: a.type, openedAt: a.openedAt }), a]));
  const seen = new Set<string>();
  const fresh: DriftIntervalView[] = [];
  const persisting: AnnouncementView[] = [];
  for (const i of eligible) {
    const key = announcementKey(i);
    seen.add(key);
    const a = byKey.get(key);
    if (a) persisting.push({ ...i, firstAnnouncedAt: a.firstAnnouncedAt, lastAnnouncedAt: a.lastAnnouncedAt });
    else fresh.push(i);
  }
  const resolved = announced.filter((a) => !seen.has(announcementKey({ objectId: a.objectId, type: a.type, openedAt: a.openedAt })));
  const reminderDue =
    rule.reminder !== undefined && persisting.some((p) => now.getTime() - p.lastAnnouncedAt.getTime() >= rule.reminder!);
  let kind: EnvironmentPlan['kind'] = null;
  if (fresh.length) kind = 'drift';
  else if (reminderDue) kind = 'reminder';
  else if (resolved.length && rule.notifyResolved) kind = 'resolved';
  return { environment, new: fresh, persisting, resolved, kind };
}

const VALUE_CHARS = 60;

function formatValue(v: unknown): string {
  if (v === undefined) return '';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  // The drift engine stores long values as a JSON string cut with "…".
  if (s === undefined) s = String(v);
  return s.length > VALUE_CHARS ? s.slice(0, VALUE_CHARS - 1) + '…' : s;
}

interface ChangeLike {
  path?: unknown;
  op?: unknown;
  reason?: unknown;
  manager?: unknown;
  desired?: unknown;
  live?: unknown;
}

/** Short diff lines from an interval's field changes: `path: git → cluster`, `+ path: value (by manager)`, `- path`. */
export function diffLines(changes: unknown[], max = DIFF_LINES_PER_ITEM): string[] {
  const out: string[] = [];
  const list = (Array.isArray(changes) ? changes : []).filter((c): c is ChangeLike => !!c && typeof c === 'object');
  for (const c of list.slice(0, max)) {
    const path = typeof c.path === 'string' && c.path ? c.path : '(object)';
    const by = typeof c.manager === 'string' && c.manager ? ` (by ${c.manager})` : '';
    if (c.op === 'added') out.push(`+ ${path}: ${formatValue(c.live)}${by}`);
    else if (c.op === 'removed') out.push(`- ${path}${c.desired !== undefined ? `: was ${formatValue(c.desired)}` : ''}${by}`);
    else out.push(`${path}: ${formatValue(c.desired)} → ${formatValue(c.live)}${by}`);
  }
  if (list.length > max) out.push(`and ${list.length - max} more field${list.length - max === 1 ? '' : 's'}`);
  return out;
}

/** What opened or closed an interval, said briefly: a field manager, a commit and its author, or an evaluation. */
export function describeTrigger(t: Record<string, unknown> | null | undefined): string | null {
  if (!t || typeof t !== 'object') return null;
  if (t.source === 'live') {
    const manager = typeof t.manager === 'string' && t.manager ? t.manager : 'an unknown field manager';
    return `${manager}${typeof t.operation === 'string' && t.operation ? ` (${t.operation})` : ''}`;
  }
  if (t.source === 'git') {
    const sha = typeof t.commit === 'string' ? t.commit.slice(0, 8) : 'a commit';
    return `commit ${sha}${typeof t.author === 'string' && t.author ? ` by ${t.author}` : ''}`;
  }
  if (t.source === 'evaluation') return 'a drift evaluation';
  return null;
}

function toItem(i: DriftIntervalView, state: MessageItem['state']): MessageItem {
  return {
    state,
    group: i.group,
    kind: i.kind,
    namespace: i.namespace,
    name: i.name,
    type: i.type,
    summary: i.summary,
    diff: i.type === 'modified' ? diffLines(i.changes) : [],
    since: i.openedAt.toISOString(),
    cause: describeTrigger(i.openedBy),
    resolvedAt: state === 'resolved' ? (i.closedAt?.toISOString() ?? null) : null,
    resolvedBy: state === 'resolved' ? (i.closedAt ? describeTrigger(i.closedBy) : 'no longer matching the rule') : null,
  };
}

const bySince = (a: DriftIntervalView, b: DriftIntervalView) =>
  a.openedAt.getTime() - b.openedAt.getTime() || a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);

/** One environment of a message: counts by kind and the top items (new first, then persisting, then resolved). */
export function buildSection(plan: EnvironmentPlan, link: string | null, withResolved: boolean): MessageSection {
  const resolved = withResolved ? plan.resolved : [];
  const items = [
    ...[...plan.new].sort(bySince).map((i) => toItem(i, 'new')),
    ...[...plan.persisting].sort(bySince).map((i) => toItem(i, 'persisting')),
    ...[...resolved].sort(bySince).map((i) => toItem(i, 'resolved')),
  ];
  return {
    environment: plan.environment,
    link,
    counts: { new: countByKind(plan.new), persisting: countByKind(plan.persisting), resolved: countByKind(resolved) },
    items: items.slice(0, STORED_ITEMS_PER_SECTION),
    omitted: Math.max(0, items.length - STORED_ITEMS_PER_SECTION),
  };
}

export function buildMessage(o: { id: string; kind: MessageKind; rule: string | null; tick: Date; generatedAt: Date; sections: MessageSection[] }): AlertMessage {
  return {
    v: 1,
    id: o.id,
    kind: o.kind,
    rule: o.rule,
    tick: o.tick.toISOString(),
    generatedAt: o.generatedAt.toISOString(),
    title: titleFor(o.kind, o.rule, o.sections),
    sections: o.sections,
  };
}

/** `${baseUrl}/environments/<env>/drift`, or null without a base URL. */
export function driftPageLink(baseUrl: string | undefined, environment: string): string | null {
  if (!baseUrl) return null;
  return `${baseUrl.replace(/\/+$/, '')}/environments/${encodeURIComponent(environment)}/drift`;
}
