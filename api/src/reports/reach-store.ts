/**
 * The reach results of one environment's Git changes, kept from the analysis until the Git section is
 * written (instead of a scratch row each, written to the database and read back joined to its revision).
 *
 * The results are held in typed arrays, a few numbers per change: when it reached the cluster, which
 * live revision, an index into the texts (changed paths and notes, each distinct text kept once), and
 * the rare not-reached reason in a map. A year of 100,000 changes takes ~3 MiB, and none of it is an
 * object the garbage collector has to walk. The document before a change is not kept: the Git section
 * reads the window's revisions in time order and follows each object's document (see
 * ReportBuilder.records), which is the same "before" the analysis saw.
 */
import { Interner } from '../core/interner';
import type { ReachResult } from './analysis';

export interface StoredReach {
  reachedAt: number | null;
  liveRevisionId: number | null;
  reason: string | null;
  note: string | null;
  /** changedPaths (one array per distinct list, shared by the changes that have it: read it, do not change it). */
  paths: readonly string[];
}

export class ReachStore {
  private ids = new Float64Array(1024);
  private reached = new Float64Array(1024);
  private live = new Float64Array(1024);
  private pathRefs = new Int32Array(1024);
  private noteRefs = new Int32Array(1024);
  private readonly reasons = new Map<number, string>();
  private readonly texts = new Interner();
  private readonly parsedPaths = new Map<number, string[]>();
  /** Slots in the order of their revision ids (after seal). */
  private byId: Uint32Array | null = null;
  size = 0;

  add(r: ReachResult): void {
    if (this.byId) throw new Error('ReachStore: add after seal');
    const i = this.size;
    if (i === this.ids.length) this.grow();
    this.ids[i] = r.revisionId;
    this.reached[i] = r.reachedAt ? r.reachedAt.getTime() : NaN;
    this.live[i] = r.liveRevisionId ?? NaN;
    this.pathRefs[i] = this.texts.id(JSON.stringify(r.paths));
    this.noteRefs[i] = r.note === null ? -1 : this.texts.id(r.note);
    if (r.reason !== null) this.reasons.set(i, r.reason);
    this.size++;
  }

  /** No more results: lookups by revision id from here on. */
  seal(): void {
    const ids = this.ids;
    const order = new Uint32Array(this.size);
    for (let i = 0; i < order.length; i++) order[i] = i;
    order.sort((a, b) => ids[a]! - ids[b]!);
    this.byId = order;
  }

  /** The result of a revision, or null when it has none (not a recorded change). */
  get(revisionId: number): StoredReach | null {
    const order = this.byId;
    if (!order) throw new Error('ReachStore: get before seal');
    let lo = 0;
    let hi = order.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const slot = order[mid]!;
      const id = this.ids[slot]!;
      if (id === revisionId) {
        const at = this.reached[slot]!;
        const live = this.live[slot]!;
        const note = this.noteRefs[slot]!;
        return {
          reachedAt: Number.isNaN(at) ? null : at,
          liveRevisionId: Number.isNaN(live) ? null : live,
          reason: this.reasons.get(slot) ?? null,
          note: note < 0 ? null : this.texts.values[note]!,
          paths: this.pathsOf(this.pathRefs[slot]!),
        };
      }
      if (id < revisionId) lo = mid + 1;
      else hi = mid - 1;
    }
    return null;
  }

  private pathsOf(ref: number): string[] {
    let p = this.parsedPaths.get(ref);
    if (!p) this.parsedPaths.set(ref, (p = JSON.parse(this.texts.values[ref]!) as string[]));
    return p;
  }

  private grow(): void {
    const n = this.ids.length * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.ids = f64(this.ids);
    this.reached = f64(this.reached);
    this.live = f64(this.live);
    this.pathRefs = i32(this.pathRefs);
    this.noteRefs = i32(this.noteRefs);
  }
}

/**
 * Rows in the order a report lists Git changes, from rows read in (committed_at, commit_seq, id) order:
 * the analysis knew commit times to the millisecond (a JavaScript Date), so changes committed within the
 * same millisecond are listed by (commit_seq, id) even when the database holds finer times. `push` appends
 * the rows that are ready to `out`; `flush` the rest at the end.
 */
export class MillisecondOrder<T extends { ms: number; seq: number; id: number }> {
  private group: T[] = [];

  push(row: T, out: T[]): void {
    const g = this.group;
    if (g.length && g[0]!.ms !== row.ms) this.flush(out);
    this.group.push(row);
  }

  flush(out: T[]): void {
    const g = this.group;
    if (!g.length) return;
    let sorted = true;
    for (let i = 1; i < g.length && sorted; i++) {
      const a = g[i - 1]!;
      const b = g[i]!;
      if (a.seq > b.seq || (a.seq === b.seq && a.id > b.id)) sorted = false;
    }
    if (!sorted) g.sort((a, b) => a.seq - b.seq || a.id - b.id);
    this.group = [];
    for (const r of g) out.push(r);
  }
}
