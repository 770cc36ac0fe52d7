import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { BatchRenderer, objectsOf, type WireRender } from '../../api/src/git/render-batch';
import { streamLog, type FileChange } from '../../api/src/git/reader/log-stream';
import { localReadEnv } from '../../api/src/git/reader/git-env';

type Obj = Record<string, unknown>;
const configMap = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: "${value}" }\n`;
const NAMES = 'abcdefghijkl'.split('');

/**
 * What a render worker sends along batches (BatchRenderer, the worker's side of RenderPool):
 * the indexer rebuilds each entry's objects from changes against the list it got before, so a
 * worker may send changes only against a list the indexer holds from that same worker.
 */
describe('render worker batches', () => {
  let repo: GitRepoBuilder;
  let commits: FileChange[][];

  beforeAll(async () => {
    repo = await GitRepoBuilder.create();
    // An overlay over a base directory, as GitOps repositories have them (directory builds are what renders reuse).
    const files: Record<string, string> = {
      'base/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${NAMES.map((n) => `${n}.yaml`).join(', ')}]\n`,
      'overlays/prod/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: prod\nresources: [../../base]\n`,
    };
    for (const n of NAMES) files[`base/${n}.yaml`] = configMap(n, 'v1');
    await repo.commit({ files, message: 'initial' });
    await repo.commit({ files: { 'base/a.yaml': configMap('a', 'v2') }, message: 'a v2' });
    await repo.commit({ files: { 'base/b.yaml': configMap('b', 'v2') }, message: 'b v2' });
    await repo.commit({ files: { 'base/c.yaml': configMap('c', 'v2') }, message: 'c v2' });
    commits = [];
    for await (const c of streamLog(repo.dir, { reverse: true })) commits.push(c.files);
  });
  afterAll(() => repo?.cleanup());

  const worker = () =>
    new BatchRenderer({
      gitDir: repo.dir,
      gitEnv: localReadEnv(),
      maxFileBytes: 1 << 20,
      tree: [],
      environments: [{ name: 'prod', defaultNamespace: 'default', entries: [{ spec: { dir: 'overlays/prod', source: 'config', renderer: 'builtin', loadRestrictions: 'rootOnly', missingKustomization: 'problem' }, closure: null }] }],
    });
  const values = (objects: Obj[]) => objects.map((o) => `${(o.metadata as Obj).name}=${(o.data as Obj).value}`);
  const only = async (b: BatchRenderer, batch: FileChange[][]): Promise<WireRender> => {
    const wire = await b.render(batch);
    const renders = wire.commits.flat();
    expect(renders).toHaveLength(1);
    return structuredClone(renders[0]!);
  };

  it('sends only what changed since its last render, also across batches', async () => {
    const b = worker();
    try {
      const first = await only(b, [commits[0]!]);
      expect('full' in first.objects).toBe(true);
      const mine = objectsOf(first.objects, undefined, first.dir);
      const second = await only(b, [commits[1]!]);
      expect(second.objects).toMatchObject({ length: 12, changed: [[0, expect.anything()]] });
      expect(values(objectsOf(second.objects, mine, second.dir))).toEqual(NAMES.map((n) => `${n}=${n === 'a' ? 'v2' : 'v1'}`));
    } finally {
      await b.close();
    }
  });

  it('after skipping the batches another worker rendered, sends what the indexer can apply to that worker’s list', async () => {
    const mine = worker();
    const other = worker();
    try {
      await only(mine, [commits[0]!]);
      // The other worker renders 'a v2' and 'b v2': the indexer's list is now the other worker's.
      other.skip([commits[0]!]);
      let indexers: Obj[] | undefined;
      for (const c of [commits[1]!, commits[2]!]) {
        const w = await only(other, [c]);
        indexers = objectsOf(w.objects, indexers, w.dir);
      }
      mine.skip([commits[1]!, commits[2]!]);
      const after = await only(mine, [commits[3]!]);
      expect('full' in after.objects).toBe(true);
      expect(values(objectsOf(after.objects, indexers, after.dir))).toEqual(NAMES.map((n) => `${n}=${'abc'.includes(n) ? 'v2' : 'v1'}`));
    } finally {
      await mine.close();
      await other.close();
    }
  });
});
