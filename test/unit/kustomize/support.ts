import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { loadYamlDocuments } from '../../../api/src/core/manifests';
import { loadKustomizeYaml, type KustomizeFs, type RenderOptions } from '../../../api/src/core/kustomize';

export const FIXTURES = join(__dirname, '../../fixtures/kustomize');

/** A KustomizeFs over a directory on disk; paths are relative to `root`. */
export function dirFs(root: string): KustomizeFs {
  const abs = (p: string) => (p === '' ? root : join(root, p));
  return {
    read(p) {
      try {
        const st = statSync(abs(p));
        return st.isFile() ? readFileSync(abs(p)) : null;
      } catch {
        return null;
      }
    },
    list(d) {
      try {
        return readdirSync(abs(d)).sort();
      } catch {
        return null;
      }
    },
    isDir(p) {
      try {
        return statSync(abs(p)).isDirectory();
      } catch {
        return false;
      }
    },
  };
}

export interface ExpectedProblem {
  file: string;
  field: string;
  code: string;
  /** A substring of the message. */
  message: string;
}

export interface FixtureCase {
  name: string;
  dir: string;
  description: string;
  /** Directory to build, relative to the fixture directory. */
  entry: string;
  options: RenderOptions;
  /** Fields removed from kustomization files before kubectl renders the reference (the unsupported parts). */
  strip: Array<{ file: string; field: string }>;
  problems: ExpectedProblem[];
}

export function listCases(): FixtureCase[] {
  return readdirSync(FIXTURES)
    .filter((n) => statSync(join(FIXTURES, n)).isDirectory())
    .sort()
    .map((name) => {
      const dir = join(FIXTURES, name);
      const specPath = join(dir, 'case.yaml');
      const spec = existsSync(specPath) ? ((loadYamlDocuments(readFileSync(specPath, 'utf8')).documents[0] ?? {}) as Record<string, any>) : {};
      return {
        name,
        dir,
        description: spec.description ?? '',
        entry: spec.entry ?? 'input',
        options: spec.options ?? {},
        strip: spec.strip ?? [],
        problems: spec.problems ?? [],
      };
    });
}

/**
 * kubectl with Kustomize v5, when this machine has it: KUSTOMIZE_KUBECTL names
 * it (or `none` to skip the comparisons), otherwise PATH and the usual places.
 */
export function kubectlPath(): string | null {
  const override = process.env.KUSTOMIZE_KUBECTL;
  if (override === 'none') return null;
  const candidates = override
    ? [override]
    : [...(process.env.PATH ?? '').split(':').filter(Boolean).map((d) => join(d, 'kubectl')), '/usr/bin/kubectl', '/usr/local/bin/kubectl'];
  for (const p of candidates) {
    if (!existsSync(p)) continue;
    try {
      const v = execFileSync(p, ['version', '--client'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      if (/Kustomize Version: v5\./.test(v)) return p;
    } catch {
      // not usable
    }
  }
  return null;
}

/** Deletes `a.b[2].c` from a parsed YAML document. */
function deletePath(doc: any, field: string): void {
  const parts = field.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let cur = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    cur = p.startsWith('[') ? cur?.[Number(p.slice(1, -1))] : cur?.[p];
  }
  const last = parts[parts.length - 1]!;
  if (cur == null) throw new Error(`strip: ${field} not found`);
  if (last.startsWith('[')) cur.splice(Number(last.slice(1, -1)), 1);
  else delete cur[last];
}

/** Runs `kubectl kustomize` on a copy of the fixture with the strip list applied; returns stdout. */
export function kubectlRender(kubectl: string, c: FixtureCase): string {
  const tmp = mkdtempSync(join(tmpdir(), 'kustomize-fixture-'));
  try {
    cpSync(c.dir, tmp, { recursive: true });
    // Remove the stripped fields from the last index down so earlier indexes stay valid.
    const byFile = new Map<string, string[]>();
    for (const s of c.strip) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s.field]);
    for (const [file, fields] of byFile) {
      const p = join(tmp, file);
      const doc = loadYamlDocuments(readFileSync(p, 'utf8')).documents[0];
      for (const f of [...fields].sort().reverse()) deletePath(doc, f);
      writeFileSync(p, dump(doc));
    }
    const args = ['kustomize', join(tmp, c.entry)];
    if (c.options.loadRestrictions === 'none') args.push('--load-restrictor', 'LoadRestrictionsNone');
    return execFileSync(kubectl, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function parseStream(text: string): Record<string, unknown>[] {
  return loadKustomizeYaml(text).filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object');
}

function idKey(o: Record<string, any>): string {
  return `${o.apiVersion}|${o.kind}|${o.metadata?.namespace ?? ''}|${o.metadata?.name ?? ''}`;
}

/** Sorts objects by identity so two renderings compare object for object regardless of order. */
export function byIdentity(objects: Record<string, unknown>[]): Record<string, unknown>[] {
  return [...objects].sort((a, b) => (idKey(a) < idKey(b) ? -1 : idKey(a) > idKey(b) ? 1 : 0));
}

export function identities(objects: Record<string, unknown>[]): string[] {
  return objects.map(idKey).sort();
}
