import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import type { CompareOptions, LiveInput, ManagedFieldsEntry } from '../../../api/src/core/drift';

export const FIXTURES_DIR = resolve(__dirname, '../../fixtures/drift');

export interface Expected {
  description: string;
  type: string;
  /** Pointers of every expected FieldChange. */
  pointers: string[];
  /** pointer → reason / manager / display path, checked when given. */
  reasons?: Record<string, string>;
  managers?: Record<string, string>;
  paths?: Record<string, string>;
  /** Normalizers this fixture exercises; each must fire. */
  normalizers?: string[];
  options?: Partial<CompareOptions>;
}

export interface Fixture {
  name: string;
  desired: Record<string, unknown> | null;
  live: LiveInput | null;
  expected: Expected;
}

/** Options every fixture starts from (a Flux or Argo CD SSA environment). */
export const BASE_OPTIONS: CompareOptions = {
  applierManagers: ['kustomize-controller', 'argocd-controller'],
  trace: true,
};

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

function loadYaml(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  const doc = load(readFileSync(path, 'utf8'));
  return doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>) : null;
}

/**
 * What the live normalizer (core/normalize-live, another module) hands to the
 * drift engine: the body without status, resourceVersion, uid, managedFields
 * and the last-applied annotation; managedFields and the parsed last-applied
 * on the side. Generation and creationTimestamp are left in on purpose: the
 * comparison must cope with them.
 */
export function splitLive(raw: Record<string, unknown>): LiveInput {
  const { status: _status, ...body } = raw;
  const md = { ...(raw.metadata as Record<string, unknown>) };
  const managedFields = (md.managedFields ?? []) as ManagedFieldsEntry[];
  delete md.managedFields;
  delete md.resourceVersion;
  delete md.uid;
  let lastApplied: object | undefined;
  if (md.annotations && typeof md.annotations === 'object') {
    const ann = { ...(md.annotations as Record<string, unknown>) };
    if (typeof ann[LAST_APPLIED] === 'string') lastApplied = JSON.parse(ann[LAST_APPLIED] as string) as object;
    delete ann[LAST_APPLIED];
    if (Object.keys(ann).length > 0) md.annotations = ann;
    else delete md.annotations;
  }
  body.metadata = md;
  return { body, managedFields, ...(lastApplied ? { lastApplied } : {}) };
}

export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = join(FIXTURES_DIR, name);
      const liveRaw = loadYaml(join(dir, 'live.yaml'));
      return {
        name,
        desired: loadYaml(join(dir, 'desired.yaml')),
        live: liveRaw ? splitLive(liveRaw) : null,
        expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected,
      };
    });
}
