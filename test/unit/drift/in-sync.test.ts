import { describe, expect, it } from 'vitest';
import { compareObject, isInSync, type CompareOptions, type IgnoreRule, type LiveInput } from '../../../api/src/core/drift';
import { BASE_OPTIONS, loadFixtures, type Fixture } from './fixture-loader';
import { prng } from '../../../api/src/core/prng';

// isInSync must answer exactly what compareObject(...).type === 'in-sync' answers: the drift fixtures
// (defaults, ignore rules, keyed lists, sets and multisets, managedFields owners, last-applied), each
// also with fields of either side deleted, changed, nulled or reordered, with ignore rules aimed at its
// differences, and with its sides swapped.

const fixtures = loadFixtures();


type Path = (string | number)[];

/** Every path to a value under a document (objects and arrays included). */
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...at, i]), paths(x, [...at, i], out)));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push([...at, k]), paths(x, [...at, k], out);
  return out;
}

/** One edit at a random path of a copy: delete, change the value, set null, or reverse/duplicate a list. */
function mutate(doc: Record<string, unknown>, rand: () => number): Record<string, unknown> {
  const copy = structuredClone(doc);
  const all = paths(copy).filter((p) => p[0] !== 'apiVersion' && p[0] !== 'kind');
  if (!all.length) return copy;
  const path = all[Math.floor(rand() * all.length)]!;
  let parent: unknown = copy;
  for (const seg of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[seg];
  const key = path[path.length - 1]!;
  const p = parent as Record<string | number, unknown>;
  const v = p[key];
  const r = rand();
  if (Array.isArray(v) && r < 0.5) {
    if (r < 0.25) v.reverse();
    else if (v.length) v.push(structuredClone(v[0]));
  } else if (r < 0.3) {
    if (Array.isArray(p)) p.splice(key as number, 1);
    else delete p[key];
  } else if (r < 0.4) p[key] = null;
  else if (typeof v === 'string') p[key] = rand() < 0.5 ? `${v}x` : v.toUpperCase();
  else if (typeof v === 'number') p[key] = v + 1;
  else if (typeof v === 'boolean') p[key] = !v;
  else if (v !== null && typeof v === 'object' && !Array.isArray(v)) (v as Record<string, unknown>).extra = 'x';
  else p[key] = 'x';
  return copy;
}

const withBody = (live: LiveInput, body: Record<string, unknown>): LiveInput => ({ ...live, body });

interface Case {
  name: string;
  desired: Record<string, unknown> | null;
  live: LiveInput | null;
  opts: CompareOptions;
}

function casesOf(f: Fixture, seed: number): Case[] {
  const opts: CompareOptions = { ...BASE_OPTIONS, ...(f.expected.options ?? {}) };
  const untraced: CompareOptions = { ...opts, trace: false };
  const out: Case[] = [
    { name: f.name, desired: f.desired, live: f.live, opts },
    { name: `${f.name} untraced`, desired: f.desired, live: f.live, opts: untraced },
  ];
  if (!f.desired || !f.live) return out;
  // Ignore rules aimed at the fixture's own differences: each one alone, by pointer, and by manager.
  const full = compareObject(f.desired, f.live, opts);
  const rules: IgnoreRule[] = [];
  for (const c of full.changes) {
    rules.push({ pointer: c.pointer });
    if (c.manager) rules.push({ manager: c.manager }, { pointer: c.pointer.replace(/\/[^/]*$/, '') || '/', manager: c.manager });
  }
  for (const rule of rules) out.push({ name: `${f.name} ignore ${JSON.stringify(rule)}`, desired: f.desired, live: f.live, opts: { ...untraced, ignore: [...(opts.ignore ?? []), rule] } });
  // The sides swapped (the live body as Git, Git's as the live body, same managedFields).
  out.push({ name: `${f.name} swapped`, desired: f.live.body as Record<string, unknown>, live: withBody(f.live, f.desired), opts: untraced });
  const rand = prng(seed);
  for (let i = 0; i < 24; i++) {
    const onDesired = rand() < 0.5;
    const desired = onDesired ? mutate(f.desired, rand) : f.desired;
    const live = onDesired ? f.live : withBody(f.live, mutate(f.live.body as Record<string, unknown>, rand));
    out.push({ name: `${f.name} edit ${i} of ${onDesired ? 'desired' : 'live'}`, desired, live, opts: rand() < 0.5 ? opts : untraced });
    // Two edits, one on each side.
    out.push({ name: `${f.name} edits ${i} on both sides`, desired: mutate(desired, rand), live: withBody(live, mutate(live.body as Record<string, unknown>, rand)), opts: untraced });
  }
  return out;
}

const cases = fixtures.flatMap((f, i) => casesOf(f, 1000 + i));

describe('isInSync', () => {
  it('answers as compareObject(...).type === "in-sync" on every drift fixture and its variants', () => {
    const wrong: string[] = [];
    let inSync = 0;
    for (const c of cases) {
      const expected = compareObject(c.desired, c.live, c.opts).type === 'in-sync';
      if (expected) inSync++;
      if (isInSync(c.desired, c.live, c.opts) !== expected) wrong.push(`${c.name}: expected ${expected}`);
    }
    expect(wrong).toEqual([]);
    // Both answers are well represented (the variants are not all in sync, nor all drifted).
    expect(inSync).toBeGreaterThan(300);
    expect(cases.length - inSync).toBeGreaterThan(1000);
  });

  // The report's analysis answers "in sync" without comparing when desired and live are the same document.
  it('finds any document in sync with itself, whatever the rules and owners', () => {
    const notInSync: string[] = [];
    for (const c of cases) {
      for (const doc of [c.desired, c.live?.body as Record<string, unknown> | undefined]) {
        if (!doc) continue;
        const live: LiveInput = c.live ? withBody(c.live, doc) : { body: doc };
        if (compareObject(doc, live, c.opts).type !== 'in-sync') notInSync.push(c.name);
      }
    }
    expect(notInSync).toEqual([]);
  });

  it('takes back a difference found while matching an unkeyed list item, and stops at one that stays', () => {
    const role = (rules: unknown[]) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'a' }, rules });
    const pods = { apiGroups: [''], resources: ['pods'], verbs: ['get'] };
    const jobs = { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list'] };
    const live = (rules: unknown[]): LiveInput => ({ body: role(rules), managedFields: [] });
    const opts: CompareOptions = { applierManagers: ['kustomize-controller'] };
    // Git's first rule is tried against the live jobs rule first (a difference, taken back), then matches.
    expect(isInSync(role([pods, jobs]), live([jobs, pods]), opts)).toBe(true);
    expect(compareObject(role([pods, jobs]), live([jobs, pods]), opts).type).toBe('in-sync');
    // A verb changed: no trial matches, and the difference stays.
    const changed = { ...jobs, verbs: ['get', 'watch'] };
    expect(isInSync(role([pods, jobs]), live([changed, pods]), opts)).toBe(false);
    expect(compareObject(role([pods, jobs]), live([changed, pods]), opts).type).toBe('modified');
  });
});
