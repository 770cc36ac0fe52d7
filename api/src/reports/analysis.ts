/**
 * The audit reading of one object's history, as pure functions over its desired
 * and live revisions in time order (no I/O: documents are looked up through the
 * callbacks, which answer from memory).
 *
 * - When did each Git change reach the cluster? At the first live revision at
 *   or after the commit whose content is in sync with it (compareObject, not
 *   hash equality: live carries defaults). A later commit to the same object
 *   before that supersedes it; no match at all means it was never applied (or
 *   could not be observed).
 * - Which live changes were out of band? Every change made with a person's tool
 *   (kubectl edit/patch/scale, consoles, configured human managers), and every
 *   change by any other manager that left the object differing from Git in a
 *   way it did not differ before. A change to an object that Git does not
 *   describe at that time only counts when a person made it.
 * - How long did an out-of-band change last? Until the object was next in sync
 *   with Git (an applier revert or a commit adopting it), or it is ongoing.
 */
import type { CompareResult, ManagerClass } from '../core/drift';

export interface GitEvent {
  source: 'git';
  at: Date;
  /** desired_revisions.id */
  id: number;
  seq: number;
  doc: string | null;
  commit: string;
  /** Report this change (inside the window and through the filters). */
  record: boolean;
}

export interface LiveEvent {
  source: 'live';
  at: Date;
  /** live_revisions.id */
  id: number;
  doc: string | null;
  meta: string | null;
  manager: string | null;
  operation: string | null;
  /** Inside the window: classify it. */
  record: boolean;
}

export type ObjectEvent = GitEvent | LiveEvent;

export interface ReachResult {
  revisionId: number;
  seq: number;
  committedAt: Date;
  prevDoc: string | null;
  doc: string | null;
  reachedAt: Date | null;
  liveRevisionId: number | null;
  reason: string | null;
  note: string | null;
  /** Fields the commit changed (display paths). */
  paths: string[];
}

export interface OutOfBandResult {
  revisionId: number;
  observedAt: Date;
  prevDoc: string | null;
  doc: string | null;
  endedAt: Date | null;
  reason: string;
  managerClass: ManagerClass;
  summary: string;
  /** Fields the live change touched (display paths). */
  paths: string[];
}

export interface WalkerDeps {
  applier: string;
  /** In sync: desired and live agree (both absent counts as in sync). Cached by the caller. */
  inSync(desired: string | null, live: string | null, meta: string | null): boolean;
  /** The full comparison, for objects that are not in sync (never both null). */
  compare(desired: string | null, live: string | null, meta: string | null): CompareResult;
  classify(manager: string | null): ManagerClass;
  describe(r: CompareResult): string;
  /** Display paths of what differs between two documents (either may be absent). */
  paths(before: string | null, after: string | null): string[];
  /** Why a change that reached nothing was not observed (gaps, no cluster), else "never applied …". */
  unreached(committedAt: Date, deleted: boolean): string;
  reach(r: ReachResult): void;
  outOfBand(r: OutOfBandResult): void;
}

export const shortSha = (sha: string) => sha.slice(0, 12);

/** A drift signature: what differs, by place (values left out, so a value changing again is not new drift). */
function signature(r: CompareResult | null): Set<string> {
  if (!r || r.type === 'in-sync') return new Set();
  if (r.type !== 'modified') return new Set([`type:${r.type}`]);
  return new Set(r.changes.map((c) => `${c.op}:${c.pointer}`));
}

export class ObjectWalker {
  private desired: string | null;
  private live: { doc: string | null; meta: string | null; id: number | null };
  private pending: ReachResult | null = null;
  private open: OutOfBandResult[] = [];

  constructor(
    private readonly deps: WalkerDeps,
    initialDesired: string | null,
    initialLive: { doc: string | null; meta: string | null; id: number | null },
  ) {
    this.desired = initialDesired;
    this.live = initialLive;
  }

  /** Something is still unresolved: later events (after the window) may settle it. */
  get needsMore(): boolean {
    return this.pending !== null || this.open.length > 0;
  }

  /** The documents the walker's current state refers to (to have them loaded before the next events). */
  state(): (string | null)[] {
    return [this.desired, this.live.doc, this.live.meta];
  }

  push(e: ObjectEvent): void {
    if (e.source === 'git') this.git(e);
    else this.liveChange(e);
  }

  private git(e: GitEvent): void {
    const d = this.deps;
    if (this.pending) {
      this.pending.reason = `not observed: superseded by commit ${shortSha(e.commit)} at ${e.at.toISOString()}`;
      d.reach(this.pending);
      this.pending = null;
    }
    const prev = this.desired;
    this.desired = e.doc;
    const sync = d.inSync(this.desired, this.live.doc, this.live.meta);
    if (e.record) {
      const r: ReachResult = {
        revisionId: e.id, seq: e.seq, committedAt: e.at, prevDoc: prev, doc: e.doc,
        reachedAt: null, liveRevisionId: null, reason: null, note: null, paths: d.paths(prev, e.doc),
      };
      if (sync) {
        r.reachedAt = e.at;
        r.liveRevisionId = this.live.id;
        r.note = e.doc === null ? 'already absent from the cluster when committed' : 'already in the cluster when committed';
        d.reach(r);
      } else this.pending = r;
    }
    if (sync) this.closeOpen(e.at);
  }

  private liveChange(e: LiveEvent): void {
    const d = this.deps;
    const before = this.live;
    this.live = { doc: e.doc, meta: e.meta, id: e.id };
    const sync = d.inSync(this.desired, e.doc, e.meta);
    if (this.pending && sync) {
      this.pending.reachedAt = e.at;
      this.pending.liveRevisionId = e.id;
      d.reach(this.pending);
      this.pending = null;
    }
    if (e.record) {
      const cls = e.manager ? d.classify(e.manager) : 'unknown';
      let reason: string | null = null;
      let after: CompareResult | null = null;
      if (cls === 'human') {
        reason = `changed with ${e.manager}${e.operation ? ` (${e.operation})` : ''}, a person's tool, not by the applier ${d.applier}`;
        if (!sync) after = d.compare(this.desired, e.doc, e.meta);
      } else if (this.desired !== null && !sync) {
        after = d.compare(this.desired, e.doc, e.meta);
        const was = signature(d.inSync(this.desired, before.doc, before.meta) ? null : d.compare(this.desired, before.doc, before.meta));
        const grew = [...signature(after)].some((s) => !was.has(s));
        if (grew) {
          const who = e.manager ? `${e.manager}${e.operation ? ` (${e.operation})` : ''}` : 'an unattributed change';
          reason = e.doc === null ? `deleted outside Git by ${who}` : `${who} left the object differing from Git: ${d.describe(after)}`;
        }
      }
      if (reason !== null) {
        const r: OutOfBandResult = {
          revisionId: e.id,
          observedAt: e.at,
          prevDoc: before.doc,
          doc: e.doc,
          endedAt: sync ? e.at : null,
          reason,
          managerClass: cls,
          summary: after ? d.describe(after) : '',
          paths: d.paths(before.doc, e.doc),
        };
        if (sync) d.outOfBand(r);
        else this.open.push(r);
      }
    }
    if (sync) this.closeOpen(e.at);
  }

  /** Open out-of-band changes end when the object is back in sync with Git. */
  private closeOpen(at: Date): void {
    if (!this.open.length) return;
    for (const r of this.open) {
      r.endedAt = at;
      this.deps.outOfBand(r);
    }
    this.open = [];
  }

  /** No more events: what is still pending was never reached; open out-of-band changes are ongoing. */
  finish(): void {
    if (this.pending) {
      this.pending.reason = this.deps.unreached(this.pending.committedAt, this.pending.doc === null);
      this.deps.reach(this.pending);
      this.pending = null;
    }
    for (const r of this.open) this.deps.outOfBand(r);
    this.open = [];
  }
}
