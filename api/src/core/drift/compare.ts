/**
 * compareObject: the drift semantics of one object (see DESIGN.md "Drift
 * semantics"). One pass walks desired and live together, guided by the
 * schema of the kind (schema.ts), and produces the changes plus both
 * normalized bodies. Nothing is cloned up front; managedFields are indexed
 * only when a difference needs an owner.
 *
 * Rules, in the order they apply to a field:
 * 1. Server-owned fields (status, uid, resourceVersion, ...) and ignore rules
 *    drop the field from both sides.
 * 2. Both sides set it: values are compared after normalization (quantities,
 *    keyed lists by merge key, sets and multisets order-insensitive). A
 *    difference is drift ('value') unless a known controller owns the live
 *    value (HPA replicas, a configured webhook) or an ignored manager does.
 * 3. Only Git sets it: drift ('removed') unless it is null, empty, the
 *    default, or a zero value an omitempty struct field drops.
 * 4. Only live has it: never drift when it is empty, a default, a
 *    server-assigned value, a controller annotation or an ownership marker.
 *    Otherwise its owner decides: the applier's Apply entry or the trusted
 *    last-applied annotation → 'applier-removed'; a human manager →
 *    'hand-added'; controllers, unknown managers and no owner at all → not
 *    drift. Live-only maps are judged entry by entry, keyed lists item by
 *    item; a live extra in a list Git sets atomically is a 'value' change.
 *
 * Applier entries with operation Update (client-side apply, or a controller
 * that also patches finalizers) own every default they wrote, so they do not
 * count as "the applier applied it": the last-applied annotation does.
 */
import { groupOf, type ObjectIdentity } from '../identity';
import { OwnershipIndex, type ItemStep } from './managed-fields';
import { NORMALIZERS, isEmptyContainer, isObj, isZeroScalar, type NormalizerName, type Obj } from './normalizers';
import { compileCompareOptions, isOwnedByEnvironment, type CompiledIgnore, type CompiledOptions } from './options';
import { appendPathSegment, escapePointerSegment } from './pointer';
import { formatQuantity, parseQuantity, roundUpToMilli, type ParsedQuantity } from './quantity';
import { BUILTIN_GROUPS, GENERIC, KEEP_ZERO_FIELDS, rootSchema, type DefaultContext, type ListKind, type Schema } from './schema';
import type {
  ChangeOp,
  ChangeReason,
  CompareOptions,
  CompareResult,
  DriftType,
  FieldChange,
  LiveInput,
  ManagedFieldsEntry,
} from './types';

const EMPTY_OBJ: Obj = Object.freeze({}) as Obj;
const EMPTY_ARR: readonly unknown[] = Object.freeze([]);
const NONE: readonly number[] = Object.freeze([]);

interface ItemSeg extends ItemStep {
  /** Index in the desired list (and normalizedDesired); -1 when live-only. */
  readonly d: number;
  /** Index in normalizedLive; -1 when desired-only. */
  readonly o: number;
  /** Merge key / set value for display and ignore matching. */
  readonly key: string | undefined;
  /** Key field defaults of a keyed list (protocol TCP), to find the item in last-applied. */
  readonly kd?: Readonly<Record<string, unknown>>;
}
type Seg = string | ItemSeg;

type Matcher = (s: string) => boolean;
interface IgnoreState {
  /** Pointer rules whose segments matched the path so far. */
  readonly active: readonly CompiledIgnore[];
  /** Managers ignored below a matched pointer. */
  readonly mgr: readonly Matcher[] | null;
}

/** Does this outcome count as drift? `unmanaged` objects are reported but not counted unless asked. */
export function countsAsDrift(type: DriftType, opts: { unmanaged?: boolean } = {}): boolean {
  switch (type) {
    case 'missing':
    case 'modified':
    case 'orphaned':
      return true;
    case 'unmanaged':
      return opts.unmanaged === true;
    default:
      return false;
  }
}

/**
 * Compares the desired manifest (from Git, already rendered and redacted)
 * with the live object (already normalized and redacted, managedFields and
 * parsed last-applied passed separately).
 */
export function compareObject(
  desired: object | null | undefined,
  live: LiveInput | null | undefined,
  opts: CompareOptions,
): CompareResult {
  const s = setUp(desired, live, opts);
  const { c, d, l } = s;
  const ignoredResult = (nd: Obj | null, nl: Obj | null): CompareResult => ({
    type: 'in-sync',
    changes: [],
    normalizedDesired: nd,
    normalizedLive: nl,
    ignored: true,
    ...(c.trace ? { normalizers: ['ignoreRule'] } : {}),
  });

  if (l === null) {
    if (s.wholeIgnored) return ignoredResult(cleanBody(d!), null);
    return { type: 'missing', changes: [], normalizedDesired: cleanBody(d!), normalizedLive: null };
  }
  if (d === null) {
    if (s.wholeIgnored) return ignoredResult(null, cleanBody(l));
    return {
      type: isOwnedByEnvironment(l, c) ? 'orphaned' : 'unmanaged',
      changes: [],
      normalizedDesired: null,
      normalizedLive: cleanBody(l),
    };
  }
  if (s.wholeIgnored) return ignoredResult(cleanBody(d), cleanBody(l));
  const w = walk(s, d, l, live!, false);
  return {
    type: w.changes.length > 0 ? 'modified' : 'in-sync',
    changes: w.changes,
    normalizedDesired: w.od as Obj,
    normalizedLive: w.ol as Obj,
    ...(w.traced ? { normalizers: [...w.traced].sort() } : {}),
  };
}

/**
 * compareObject(desired, live, opts).type === 'in-sync', without building the
 * result: the same walk stops at the first difference that counts (one a
 * list-matching trial does not take back), and builds no changes or
 * normalized bodies.
 */
export function isInSync(desired: object | null | undefined, live: LiveInput | null | undefined, opts: CompareOptions): boolean {
  const s = setUp(desired, live, opts);
  if (s.wholeIgnored) return true;
  if (s.d === null || s.l === null) return false;
  return walk(s, s.d, s.l, live!, true).changes.length === 0;
}

interface SetUp {
  c: CompiledOptions;
  d: Obj | null;
  l: Obj | null;
  id: ObjectIdentity;
  rules: CompiledIgnore[];
  wholeIgnored: boolean;
}

function setUp(desired: object | null | undefined, live: LiveInput | null | undefined, opts: CompareOptions): SetUp {
  const c = compileCompareOptions(opts);
  const d = isObj(desired) ? desired : null;
  const l = live != null && isObj(live.body) ? (live.body as Obj) : null;
  if (d === null && l === null) throw new Error('compareObject: neither a desired nor a live object');
  const id = identityOf(d, l);
  const rules = c.ignore.filter((r) => r.matches(id));
  return { c, d, l, id, rules, wholeIgnored: rules.some((r) => r.segs === null && r.manager === null) };
}

/** Walks both sides (neither wholly ignored); `equality`: isInSync's walk. */
function walk(s: SetUp, d: Obj, l: Obj, live: LiveInput, equality: boolean): Walker {
  const mgrAll: Matcher[] = [];
  const pointerRules: CompiledIgnore[] = [];
  for (const r of s.rules) {
    if (r.segs !== null) pointerRules.push(r);
    else if (r.manager !== null) mgrAll.push(r.manager);
  }
  const w = new Walker(s.c, d, l, live, s.id.group, mgrAll, pointerRules, equality);
  w.obj(d, l, rootSchema(s.id.group, s.id.kind, s.c.markers, s.c.markersId));
  return w;
}

function identityOf(d: Obj | null, l: Obj | null): ObjectIdentity {
  const src = d ?? l!;
  const md = isObj(src.metadata) ? src.metadata : EMPTY_OBJ;
  const lmd = l !== null && isObj(l.metadata) ? l.metadata : EMPTY_OBJ;
  const ns = typeof md.namespace === 'string' && md.namespace !== '' ? md.namespace : lmd.namespace;
  return {
    group: typeof src.apiVersion === 'string' ? groupOf(src.apiVersion) : '',
    kind: typeof src.kind === 'string' ? src.kind : '',
    namespace: typeof ns === 'string' ? ns : '',
    name: typeof md.name === 'string' ? md.name : '',
  };
}

const SERVER_METADATA = new Set([
  'creationTimestamp', 'generation', 'resourceVersion', 'uid', 'selfLink', 'managedFields', 'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

/**
 * The body without status, server-owned metadata and empty/null top-level
 * fields (for one-sided results: missing, orphaned, unmanaged). Nested
 * values are shared with the input, not copied.
 */
function cleanBody(body: Obj): Obj {
  const out: Obj = {};
  for (const k of Object.keys(body)) {
    const v = body[k];
    if (k === 'status' || v === null || v === undefined || isEmptyContainer(v)) continue;
    if (k === 'metadata' && isObj(v)) {
      const md: Obj = {};
      for (const mk of Object.keys(v)) {
        let mv = v[mk];
        if (SERVER_METADATA.has(mk) || mv === null || mv === undefined) continue;
        if (mk === 'annotations' && isObj(mv) && 'kubectl.kubernetes.io/last-applied-configuration' in mv) {
          const { 'kubectl.kubernetes.io/last-applied-configuration': _la, ...rest } = mv;
          mv = rest;
        }
        if (!isEmptyContainer(mv)) md[mk] = mv;
      }
      out[k] = md;
    } else out[k] = v;
  }
  return out;
}

class Walker implements DefaultContext {
  readonly changes: FieldChange[] = [];
  readonly stack: Seg[] = [];
  /** Normalized outputs of the last walked node (undefined = leave the field out). */
  od: unknown = undefined;
  ol: unknown = undefined;
  podSpec: Obj | undefined = undefined;
  traced: Set<string> | null;
  private ign: IgnoreState | null;
  private readonly builtin: boolean;
  private own: OwnershipIndex | null | undefined = undefined;
  private laTrusted: boolean | undefined = undefined;
  private laManager: string | undefined = undefined;
  /**
   * isInSync's walk (`equality`): a recorded change is a placeholder, and it halts the walk, which
   * unwinds (each level restoring its state) to the list-matching trial that takes it back, or to the
   * top, where the answer is "not in sync".
   */
  halt = false;

  constructor(
    private readonly c: CompiledOptions,
    readonly desiredRoot: Obj,
    readonly liveRoot: Obj,
    private readonly live: LiveInput,
    group: string,
    private readonly mgrAll: readonly Matcher[],
    pointerRules: readonly CompiledIgnore[],
    private readonly equality: boolean,
  ) {
    this.builtin = BUILTIN_GROUPS.has(group);
    this.ign = pointerRules.length > 0 ? { active: pointerRules, mgr: null } : null;
    this.traced = c.trace ? new Set() : null;
  }

  private trace(n: NormalizerName): void {
    if (this.traced !== null) this.traced.add(n);
  }

  // ---- structure ------------------------------------------------------------

  pair(d: unknown, l: unknown, s: Schema): void {
    if (s.q !== undefined) return this.quantity(d, l, s.q === 'resource');
    if (isObj(d)) {
      if (isObj(l)) return this.obj(d, l, s);
    } else if (Array.isArray(d)) {
      if (Array.isArray(l)) return this.list(d, l, s);
    } else if (d === l) {
      this.od = d;
      this.ol = l;
      return;
    }
    this.changedLeaf(d, l);
  }

  obj(d: Obj, l: Obj, s: Schema): void {
    const f = s.f;
    const any = s.any;
    // isInSync's walk builds no normalized objects (lists are still built: their lengths are indexes).
    const outD: Obj | null = this.equality ? null : {};
    const outL: Obj | null = this.equality ? null : {};
    const savedPod = this.podSpec;
    if (s.podSpec === true && l !== EMPTY_OBJ) this.podSpec = l;
    for (const k of Object.keys(d)) {
      const dv = d[k];
      if (dv === undefined) continue;
      const cs = (f !== undefined ? f[k] : undefined) ?? any ?? GENERIC;
      if (cs.skip !== undefined) {
        this.trace(cs.skip);
        continue;
      }
      const lv = l[k];
      if (cs.pass === true) {
        if (outD !== null) {
          outD[k] = dv;
          if (lv !== undefined) outL![k] = lv;
        }
        continue;
      }
      const saved = this.ign;
      if (saved !== null && !this.advance(k)) {
        this.ign = saved;
        continue;
      }
      this.stack.push(k);
      if (lv === undefined || lv === null) this.desiredOnly(dv, cs, k, s, d, l);
      else if (dv === null) this.liveOnly(lv, cs, k, s, l, d);
      else this.pair(dv, lv, cs);
      this.stack.pop();
      this.ign = saved;
      if (this.halt) {
        this.podSpec = savedPod;
        return;
      }
      if (outD === null) continue;
      const od = this.od;
      const ol = this.ol;
      if (od !== undefined && !isEmptyContainer(od)) outD[k] = od;
      if (ol !== undefined && !isEmptyContainer(ol)) outL![k] = ol;
    }
    if (l !== EMPTY_OBJ) {
      for (const k of Object.keys(l)) {
        if (d[k] !== undefined) continue;
        const lv = l[k];
        if (lv === undefined) continue;
        if (lv === null) {
          this.trace('nullEqualsAbsent');
          continue;
        }
        const cs = (f !== undefined ? f[k] : undefined) ?? any ?? GENERIC;
        if (cs.skip !== undefined) {
          this.trace(cs.skip);
          continue;
        }
        if (cs.pass === true) {
          if (outL !== null) outL[k] = lv;
          continue;
        }
        const saved = this.ign;
        if (saved !== null && !this.advance(k)) {
          this.ign = saved;
          continue;
        }
        this.stack.push(k);
        this.liveOnly(lv, cs, k, s, l, d);
        this.stack.pop();
        this.ign = saved;
        if (this.halt) {
          this.podSpec = savedPod;
          return;
        }
        const ol = this.ol;
        if (outL !== null && ol !== undefined && !isEmptyContainer(ol)) outL[k] = ol;
      }
    }
    this.podSpec = savedPod;
    this.od = outD ?? undefined;
    this.ol = outL ?? undefined;
  }

  /** Git sets the field, live does not have it. */
  private desiredOnly(dv: unknown, cs: Schema, k: string, ps: Schema, pd: Obj, pl: Obj): void {
    this.ol = undefined;
    this.od = undefined;
    if (dv === null) return this.trace('nullEqualsAbsent');
    if (isEmptyContainer(dv)) return this.trace('emptyEqualsAbsent');
    const def = ps.d !== undefined ? ps.d[k] : undefined;
    if (def !== undefined && def.liveOnly !== true && def.t(dv, pl, pd, this)) return this.trace(def.n);
    if (def === undefined && ps.map !== true && this.builtin && isZeroScalar(dv) && !KEEP_ZERO_FIELDS.has(k)) {
      return this.trace('zeroEqualsAbsent');
    }
    if (cs.q !== undefined) {
      const q = quantityOf(dv, cs.q === 'resource');
      const v = q !== null ? formatQuantity(q) : dv;
      this.record('removed', 'value', v, undefined, undefined);
      this.od = v;
      return;
    }
    if (isObj(dv)) {
      this.obj(dv, EMPTY_OBJ, cs);
      this.ol = undefined;
      return;
    }
    if (Array.isArray(dv) && (cs.list === 'keyed' || cs.list === 'mergeSet')) {
      this.list(dv, EMPTY_ARR as unknown[], cs);
      this.ol = undefined;
      return;
    }
    this.record('removed', 'value', dv, undefined, undefined);
    this.od = dv;
  }

  /** Live has the field, Git does not set it. */
  private liveOnly(lv: unknown, cs: Schema, k: string, ps: Schema, pl: Obj, pd: Obj): void {
    this.od = undefined;
    this.ol = undefined;
    if (isEmptyContainer(lv)) return this.trace('emptyEqualsAbsent');
    const def = ps.d !== undefined ? ps.d[k] : undefined;
    if (def !== undefined && def.t(lv, pl, pd, this)) return this.trace(def.n);
    if (ps.map === true) {
      if (ps.mapDefault !== undefined) {
        const n = ps.mapDefault(k, lv, this, pd === EMPTY_OBJ ? undefined : pd);
        if (n !== null) return this.trace(n);
      }
    } else if (def === undefined && this.builtin && isZeroScalar(lv) && !KEEP_ZERO_FIELDS.has(k)) {
      return this.trace('zeroEqualsAbsent');
    }
    if (cs.q === undefined) {
      if (isObj(lv)) {
        this.obj(EMPTY_OBJ, lv, cs);
        this.od = undefined;
        return;
      }
      if (Array.isArray(lv) && (cs.list === 'keyed' || cs.list === 'mergeSet')) {
        this.list(EMPTY_ARR as unknown[], lv, cs);
        this.od = undefined;
        return;
      }
    }
    if (this.attribute(lv)) {
      const q = cs.q !== undefined ? quantityOf(lv, cs.q === 'resource') : null;
      this.ol = q !== null ? formatQuantity(q) : lv;
    }
  }

  private quantity(d: unknown, l: unknown, resource: boolean): void {
    const qd = quantityOf(d, resource);
    const ql = quantityOf(l, resource);
    if (qd !== null && ql !== null) {
      const sd = formatQuantity(qd);
      if (qd.nanos === ql.nanos) {
        if (d !== l) {
          if (resource && parseQuantity(d)!.nanos !== parseQuantity(l)!.nanos) this.trace('resourceListRounding');
          else this.trace('quantity');
        }
        this.od = sd;
        this.ol = sd;
        return;
      }
      return this.changedLeaf(sd, formatQuantity(ql));
    }
    if (d === l) {
      this.od = d;
      this.ol = l;
      return;
    }
    this.changedLeaf(d, l);
  }

  // ---- lists ----------------------------------------------------------------

  private list(d: unknown[], l: unknown[], s: Schema): void {
    switch (s.list) {
      case 'keyed':
        return this.keyedList(d, l, s);
      case 'mergeSet':
      case 'set':
        return this.setList(d, l, s);
      case 'multiset':
        return this.multisetList(d, l, s);
      default:
        return this.atomicList(d, l, s);
    }
  }

  private keyedList(d: unknown[], l: unknown[], s: Schema): void {
    const keys = s.keys!;
    const n = d.length;
    const m = l.length;
    const dk: string[] = new Array<string>(n);
    const lk: string[] = new Array<string>(m);
    const lIndex = new Map<string, number>();
    const dSeen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const k = keyOf(d[i], keys, s.keyDefaults);
      if (k === null || dSeen.has(k)) return this.atomicList(d, l, s);
      dSeen.add(k);
      dk[i] = k;
    }
    for (let j = 0; j < m; j++) {
      const k = keyOf(l[j], keys, s.keyDefaults);
      if (k === null || lIndex.has(k)) return this.atomicList(d, l, s);
      lIndex.set(k, j);
      lk[j] = k;
    }
    const items = s.items ?? GENERIC;
    const used = new Uint8Array(m);
    const outD: unknown[] = [];
    const outL: unknown[] = [];
    let reordered = false;
    for (let i = 0; i < n; i++) {
      const j = lIndex.get(dk[i]!);
      const matched = j !== undefined;
      if (matched) {
        used[j] = 1;
        if (j !== i) reordered = true;
      }
      const seg: ItemSeg = {
        live: matched ? l[j] : undefined,
        li: matched ? j : -1,
        list: 'keyed',
        keys,
        d: i,
        o: matched ? outL.length : -1,
        key: dk[i],
        kd: s.keyDefaults,
      };
      const saved = this.ign;
      if (saved !== null && !this.advance(seg)) {
        this.ign = saved;
        continue;
      }
      this.stack.push(seg);
      if (!matched) {
        this.record('removed', 'value', d[i], undefined, undefined);
        outD.push(d[i]);
      } else {
        this.pair(d[i], l[j], items);
        outD.push(this.od === undefined ? d[i] : this.od);
        outL.push(this.ol === undefined ? d[i] : this.ol);
      }
      this.stack.pop();
      this.ign = saved;
      if (this.halt) return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j] === 1) continue;
      const seg: ItemSeg = { live: l[j], li: j, list: 'keyed', keys, d: -1, o: outL.length, key: lk[j], kd: s.keyDefaults };
      const saved = this.ign;
      if (saved !== null && !this.advance(seg)) {
        this.ign = saved;
        continue;
      }
      this.stack.push(seg);
      if (this.attribute(l[j])) outL.push(l[j]);
      this.stack.pop();
      this.ign = saved;
      if (this.halt) return;
    }
    if (reordered) this.trace('keyedListOrder');
    this.od = outD;
    this.ol = outL;
  }

  /** Scalars, order-insensitive. mergeSet: live extras judged by owner; set: Git sets the whole list. */
  private setList(d: unknown[], l: unknown[], s: Schema): void {
    for (const x of d) if (x !== null && typeof x === 'object') return this.multisetList(d, l, s);
    for (const x of l) if (x !== null && typeof x === 'object') return this.multisetList(d, l, s);
    const merge = s.list === 'mergeSet';
    const list: ListKind = s.list!;
    const m = l.length;
    const used = new Uint8Array(m);
    const outD: unknown[] = [];
    const outL: unknown[] = [];
    let reordered = false;
    for (let i = 0; i < d.length; i++) {
      let j = -1;
      for (let k = 0; k < m; k++) {
        if (used[k] === 0 && l[k] === d[i]) {
          j = k;
          break;
        }
      }
      if (j >= 0) {
        used[j] = 1;
        if (j !== i) reordered = true;
      }
      const seg: ItemSeg = { live: j >= 0 ? l[j] : undefined, li: j, list, keys: undefined, d: i, o: j >= 0 ? outL.length : -1, key: String(d[i]) };
      const saved = this.ign;
      if (saved !== null && !this.advance(seg)) {
        this.ign = saved;
        continue;
      }
      this.stack.push(seg);
      outD.push(d[i]);
      if (j < 0) this.record('removed', 'value', d[i], undefined, undefined);
      else outL.push(l[j]);
      this.stack.pop();
      this.ign = saved;
      if (this.halt) return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j] === 1) continue;
      const seg: ItemSeg = { live: l[j], li: j, list, keys: undefined, d: -1, o: outL.length, key: String(l[j]) };
      const saved = this.ign;
      if (saved !== null && !this.advance(seg)) {
        this.ign = saved;
        continue;
      }
      this.stack.push(seg);
      if (merge ? this.attribute(l[j]) : this.atomicExtra(l[j], s)) outL.push(l[j]);
      this.stack.pop();
      this.ign = saved;
      if (this.halt) return;
    }
    if (reordered) this.trace('setOrder');
    this.od = outD;
    this.ol = outL;
  }

  /**
   * Objects without a key, order-insensitive: each Git item is matched with
   * an equivalent live item; what is left is paired in order (so a changed
   * rule shows which field changed), and the rest is removed / extra.
   */
  private multisetList(d: unknown[], l: unknown[], s: Schema): void {
    const n = d.length;
    const m = l.length;
    const items = s.items ?? GENERIC;
    const list: ListKind = s.list ?? 'multiset';
    const match = new Int32Array(n).fill(-1); // -1 unmatched, -2 ignored
    const used = new Uint8Array(m);
    const resD: unknown[] = new Array<unknown>(n);
    const resL: unknown[] = new Array<unknown>(n);
    let reordered = false;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        if (used[j] === 1) continue;
        const seg: ItemSeg = { live: l[j], li: j, list, keys: undefined, d: i, o: -1, key: undefined };
        const saved = this.ign;
        if (saved !== null && !this.advance(seg)) {
          this.ign = saved;
          match[i] = -2;
          break;
        }
        const mark = this.changes.length;
        this.stack.push(seg);
        this.pair(d[i], l[j], items);
        this.stack.pop();
        this.ign = saved;
        if (this.changes.length === mark) {
          match[i] = j;
          used[j] = 1;
          resD[i] = this.od;
          resL[i] = this.ol;
          if (j !== i) reordered = true;
          break;
        }
        // A trial's differences are taken back (isInSync's walk halted at the first one).
        this.changes.length = mark;
        this.halt = false;
      }
    }
    const leftD: number[] = [];
    const leftL: number[] = [];
    for (let i = 0; i < n; i++) if (match[i] === -1) leftD.push(i);
    for (let j = 0; j < m; j++) if (used[j] === 0) leftL.push(j);
    const pairs = Math.min(leftD.length, leftL.length);
    const partner = new Int32Array(n).fill(-1);
    for (let p = 0; p < pairs; p++) partner[leftD[p]!] = leftL[p]!;
    const oIdx = new Int32Array(n).fill(-1);
    let o = 0;
    for (let i = 0; i < n; i++) if (match[i]! >= 0 || partner[i]! >= 0) oIdx[i] = o++;

    for (let p = 0; p < leftD.length; p++) {
      const i = leftD[p]!;
      const j = p < pairs ? leftL[p]! : -1;
      const seg: ItemSeg = { live: j >= 0 ? l[j] : undefined, li: j, list, keys: undefined, d: i, o: oIdx[i]!, key: undefined };
      const saved = this.ign;
      if (saved !== null && !this.advance(seg)) {
        this.ign = saved;
        match[i] = -2;
        continue;
      }
      this.stack.push(seg);
      if (j >= 0) {
        this.pair(d[i], l[j], items);
        resD[i] = this.od;
        resL[i] = this.ol;
      } else {
        this.record('removed', 'value', d[i], undefined, undefined);
        resD[i] = d[i];
      }
      this.stack.pop();
      this.ign = saved;
      if (this.halt) return;
    }
    const outD: unknown[] = [];
    const outL: unknown[] = [];
    for (let i = 0; i < n; i++) {
      if (match[i] === -2) continue;
      outD.push(resD[i] === undefined ? d[i] : resD[i]);
      if (oIdx[i]! >= 0) outL.push(resL[i] === undefined ? d[i] : resL[i]);
    }
    for (let p = pairs; p < leftL.length; p++) {
      const j = leftL[p]!;
      const seg: ItemSeg = { live: l[j], li: j, list, keys: undefined, d: -1, o: outL.length, key: undefined };
      const saved = this.ign;
      if (saved !== null && !this.advance(seg)) {
        this.ign = saved;
        continue;
      }
      this.stack.push(seg);
      if (this.atomicExtra(l[j], s)) outL.push(l[j]);
      this.stack.pop();
      this.ign = saved;
      if (this.halt) return;
    }
    if (reordered) this.trace('multisetOrder');
    this.od = outD;
    this.ol = outL;
  }

  /** Ordered list Git sets as a whole: compared position by position. */
  private atomicList(d: unknown[], l: unknown[], s: Schema): void {
    const items = s.items ?? GENERIC;
    const n = d.length;
    const m = l.length;
    const min = Math.min(n, m);
    const outD: unknown[] = [];
    const outL: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const has = i < min;
      const seg: ItemSeg = { live: has ? l[i] : undefined, li: has ? i : -1, list: undefined, keys: undefined, d: i, o: has ? outL.length : -1, key: undefined };
      const saved = this.ign;
      if (saved !== null && !this.advance(seg)) {
        this.ign = saved;
        continue;
      }
      this.stack.push(seg);
      if (has) {
        this.pair(d[i], l[i], items);
        outD.push(this.od === undefined ? d[i] : this.od);
        outL.push(this.ol === undefined ? d[i] : this.ol);
      } else {
        this.record('removed', 'value', d[i], undefined, undefined);
        outD.push(d[i]);
      }
      this.stack.pop();
      this.ign = saved;
      if (this.halt) return;
    }
    for (let j = min; j < m; j++) {
      const seg: ItemSeg = { live: l[j], li: j, list: undefined, keys: undefined, d: -1, o: outL.length, key: undefined };
      const saved = this.ign;
      if (saved !== null && !this.advance(seg)) {
        this.ign = saved;
        continue;
      }
      this.stack.push(seg);
      if (this.atomicExtra(l[j], s)) outL.push(l[j]);
      this.stack.pop();
      this.ign = saved;
      if (this.halt) return;
    }
    this.od = outD;
    this.ol = outL;
  }

  // ---- ownership ------------------------------------------------------------

  private ownership(): OwnershipIndex | null {
    if (this.own === undefined) {
      const mf = this.live.managedFields;
      this.own = mf !== undefined && mf.length > 0 ? new OwnershipIndex(mf) : null;
    }
    return this.own;
  }

  private entry(i: number): ManagedFieldsEntry {
    return this.live.managedFields![i]!;
  }

  private ownerIgnored(owners: readonly number[]): boolean {
    const scoped = this.ign !== null ? this.ign.mgr : null;
    if (this.mgrAll.length === 0 && scoped === null) return false;
    for (const e of owners) {
      const m = this.entry(e).manager ?? '';
      if (this.mgrAll.some((f) => f(m))) return true;
      if (scoped !== null && scoped.some((f) => f(m))) return true;
    }
    return false;
  }

  private pickManager(owners: readonly number[]): string | undefined {
    let first: string | undefined;
    let applier: string | undefined;
    for (const e of owners) {
      const m = this.entry(e).manager;
      if (m === undefined) continue;
      const k = this.c.classify(m);
      if (k === 'human') return m;
      if (k === 'applier' && applier === undefined) applier = m;
      if (first === undefined) first = m;
    }
    return applier ?? first;
  }

  /** Both sides set the value and they differ. */
  private changedLeaf(d: unknown, l: unknown): void {
    const own = this.ownership();
    const owners = own !== null ? own.ownersAt(this.stack) : NONE;
    if (owners.length > 0) {
      if (this.ownerIgnored(owners)) {
        this.trace('ignoreRule');
        this.od = undefined;
        this.ol = undefined;
        return;
      }
      let controller = false;
      let human = false;
      for (const e of owners) {
        const k = this.c.classify(this.entry(e).manager ?? '');
        if (k === 'human') human = true;
        else if (k === 'controller') controller = true;
      }
      if (controller && !human) {
        this.trace('controllerOwnedValue');
        this.od = undefined;
        this.ol = undefined;
        return;
      }
    }
    this.record('changed', 'value', d, l, this.pickManager(owners));
    this.od = d;
    this.ol = l;
  }

  /** A live extra in a list Git sets as a whole. */
  private atomicExtra(item: unknown, s: Schema): boolean {
    if (s.itemDefault !== undefined) {
      const n = s.itemDefault(item);
      if (n !== null) {
        this.trace(n);
        return false;
      }
    }
    const own = this.ownership();
    const owners = own !== null ? own.ownersUnder(this.stack) : NONE;
    if (owners.length > 0) {
      if (this.ownerIgnored(owners)) {
        this.trace('ignoreRule');
        return false;
      }
      let controller = false;
      let human = false;
      for (const e of owners) {
        const k = this.c.classify(this.entry(e).manager ?? '');
        if (k === 'human') human = true;
        else if (k === 'controller') controller = true;
      }
      if (controller && !human) {
        this.trace('controllerOwnedValue');
        return false;
      }
    }
    this.record('added', 'value', undefined, item, this.pickManager(owners));
    return true;
  }

  /** A live-only field (or keyed item): is it drift, and why? */
  private attribute(lv: unknown): boolean {
    const own = this.ownership();
    const owners = own !== null ? own.ownersUnder(this.stack) : NONE;
    if (owners.length > 0 && this.ownerIgnored(owners)) {
      this.trace('ignoreRule');
      return false;
    }
    for (const e of owners) {
      const me = this.entry(e);
      if (me.operation === 'Apply' && this.c.classify(me.manager ?? '') === 'applier') {
        this.record('added', 'applier-removed', undefined, lv, me.manager);
        return true;
      }
    }
    if (this.lastAppliedTrusted() && this.inLastApplied()) {
      this.record('added', 'applier-removed', undefined, lv, this.laManager);
      return true;
    }
    for (const e of owners) {
      const m = this.entry(e).manager ?? '';
      if (this.c.classify(m) === 'human') {
        this.record('added', 'hand-added', undefined, lv, m);
        return true;
      }
    }
    this.trace(owners.length > 0 ? 'controllerOwnedField' : 'unattributedField');
    return false;
  }

  /**
   * The last-applied annotation speaks for the applier unless a human manager
   * alone wrote it (someone ran `kubectl apply` by hand).
   */
  private lastAppliedTrusted(): boolean {
    if (this.laTrusted === undefined) {
      const la = this.live.lastApplied;
      if (!isObj(la)) this.laTrusted = false;
      else {
        const own = this.ownership();
        const owners = own !== null ? own.ownersAt(LAST_APPLIED_PATH) : NONE;
        this.laTrusted = owners.length === 0;
        for (const e of owners) {
          const m = this.entry(e).manager ?? '';
          const k = this.c.classify(m);
          if (k !== 'human') {
            this.laTrusted = true;
            if (this.laManager === undefined || k === 'applier') this.laManager = m;
          }
        }
        if (this.laManager === undefined) {
          this.laManager = this.c.source.applierManagers.find((a) => !/[*?[\]{}]/.test(a));
        }
      }
    }
    return this.laTrusted;
  }

  private inLastApplied(): boolean {
    let v: unknown = this.live.lastApplied;
    for (const seg of this.stack) {
      if (typeof seg === 'string') {
        if (!isObj(v)) return false;
        v = v[seg];
      } else {
        if (!Array.isArray(v)) return false;
        if (seg.list === 'keyed' && seg.keys !== undefined) {
          const want = keyOf(seg.live, seg.keys, seg.kd);
          v = want === null ? undefined : v.find((x) => keyOf(x, seg.keys!, seg.kd) === want);
        } else if (seg.list === 'mergeSet' || seg.list === 'set') {
          v = v.find((x) => x === seg.live);
        } else return v.length > 0; // atomic list: the applier set all of it
      }
      if (v === undefined || v === null) return false;
    }
    return true;
  }

  // ---- ignore rules, pointers -----------------------------------------------

  /** Moves the ignore state one segment down; false when the segment is ignored. */
  private advance(seg: Seg): boolean {
    const st = this.ign!;
    const depth = this.stack.length;
    let next: CompiledIgnore[] | null = null;
    let mgr = st.mgr;
    for (const r of st.active) {
      const want = r.segs![depth]!;
      if (!segMatches(want, seg)) continue;
      if (r.segs!.length === depth + 1) {
        if (r.manager === null) {
          this.trace('ignoreRule');
          return false;
        }
        mgr = mgr === null ? [r.manager] : [...mgr, r.manager];
      } else (next ??= []).push(r);
    }
    this.ign = next === null && mgr === null ? null : { active: next ?? [], mgr };
    return true;
  }

  private record(op: ChangeOp, reason: ChangeReason, desired: unknown, live: unknown, manager: string | undefined): void {
    if (this.equality) {
      this.changes.push(PLACEHOLDER);
      this.halt = true;
      return;
    }
    let pointer = '';
    let path = '';
    for (const seg of this.stack) {
      if (typeof seg === 'string') {
        pointer += '/' + escapePointerSegment(seg);
        path = appendPathSegment(path, seg, false);
      } else {
        const idx = op === 'removed' ? seg.d : seg.o;
        pointer += '/' + String(idx);
        path = appendPathSegment(path, seg.key ?? String(idx), true);
      }
    }
    const change: FieldChange = { pointer, path, op, reason };
    if (desired !== undefined) change.desired = desired;
    if (live !== undefined) change.live = live;
    if (manager !== undefined && manager !== '') change.manager = manager;
    this.changes.push(change);
  }
}

/** What isInSync's walk records for a change (only whether there is one counts). */
const PLACEHOLDER: FieldChange = Object.freeze({ pointer: '', path: '', op: 'changed', reason: 'value' });

const LAST_APPLIED_PATH = ['metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration'];

function segMatches(want: string, seg: Seg): boolean {
  if (want === '*') return true;
  if (typeof seg === 'string') return want === seg;
  return want === seg.key || want === String(seg.o) || want === String(seg.d) || want === String(seg.li);
}

function quantityOf(v: unknown, resource: boolean): ParsedQuantity | null {
  const q = parseQuantity(v);
  return q === null ? null : resource ? roundUpToMilli(q) : q;
}

/** Merge key of a list item: its key fields' values joined by '/', or null when one is missing. */
function keyOf(item: unknown, keys: readonly string[], defaults: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!isObj(item)) return null;
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    let v: unknown = k.indexOf('.') < 0 ? item[k] : getDotted(item, k);
    if ((v === undefined || v === null) && defaults !== undefined) v = defaults[k];
    if (v === undefined || v === null || typeof v === 'object') return null;
    out = i === 0 ? String(v) : `${out}/${String(v)}`;
  }
  return out;
}

function getDotted(o: Obj, path: string): unknown {
  let v: unknown = o;
  for (const p of path.split('.')) {
    if (!isObj(v)) return undefined;
    v = v[p];
  }
  return v;
}

/** Names and descriptions of every normalizer (for documentation and tests). */
export const NORMALIZER_NAMES = Object.keys(NORMALIZERS) as NormalizerName[];
