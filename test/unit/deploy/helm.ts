/**
 * Renders deploy/helm/driftline like `helm template`, with test/unit/deploy/helm-render (Go's
 * text/template + Masterminds/sprig, the engine Helm is built on). Helm itself cannot be installed
 * here; Go and Sprig come from Debian: apt-get install golang-go golang-github-masterminds-sprig-dev
 * golang-k8s-sigs-yaml-dev. Without them `helmRenderUnavailable` says why and the tests skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';

const GOPATH = '/usr/share/gocode';
const GO = ['/usr/bin/go', '/usr/lib/go/bin/go'].find((p) => existsSync(p));

export const helmRenderUnavailable: string | null = !GO
  ? 'Go is not installed (apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev)'
  : !existsSync(join(GOPATH, 'src/github.com/Masterminds/sprig')) || !existsSync(join(GOPATH, 'src/sigs.k8s.io/yaml'))
    ? 'Sprig or sigs.k8s.io/yaml sources are missing (apt-get install golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev)'
    : null;

export type Obj = Record<string, any>;
export interface Rendered {
  objects: Obj[];
  /** Source template file of each object, e.g. "driftline/templates/deployment.yaml". */
  sources: string[];
  notes: string;
}

let binary: string | undefined;
let work = '';

/** Remove the compiled renderer and the values files. */
export function removeRenderer(): void {
  if (work) rmSync(work, { recursive: true, force: true });
  work = '';
  binary = undefined;
}

/** Compile the renderer once (a few seconds cold; Go caches the rest). */
export function buildRenderer(): void {
  if (binary) return;
  work = mkdtempSync(join(tmpdir(), 'driftline-helm-'));
  const out = join(work, 'helm-render');
  const r = spawnSync(GO!, ['build', '-o', out, '.'], {
    cwd: join(__dirname, 'helm-render'),
    encoding: 'utf8',
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOFLAGS: '', GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'driftline-go-build-cache') },
  });
  if (r.status !== 0) throw new Error(`building helm-render failed:\n${r.stderr}`);
  binary = out;
}

/** `helm template RELEASE CHART -n NAMESPACE -f overrides.yaml`; throws with the template error when rendering fails. */
export function helmTemplate(chartDir: string, opts: { release?: string; namespace?: string; values?: Obj } = {}): Rendered {
  buildRenderer();
  const args = [chartDir, opts.release ?? 'driftline', opts.namespace ?? 'driftline'];
  if (opts.values) {
    const file = join(work, `values-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, JSON.stringify(opts.values)); // JSON is YAML
    args.push(file);
  }
  const r = spawnSync(binary!, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr.trim());
  const objects: Obj[] = [];
  const sources: string[] = [];
  for (const chunk of r.stdout.split(/^---\n/m).filter((c) => c.trim())) {
    const source = /^# Source: (.+)$/m.exec(chunk)?.[1] ?? '?';
    for (const o of (loadAll(chunk) as Obj[]).filter(Boolean)) {
      objects.push(o);
      sources.push(source);
    }
  }
  return { objects, sources, notes: r.stderr.replace(/^NOTES:\n/, '') };
}
