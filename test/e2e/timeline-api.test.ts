import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load } from 'js-yaml';
import { GitRepoBuilder } from '../support/git-repo-builder';
import { freshDatabase, TestDatabase } from '../support/db';
import { startTestServer, TestServer } from '../support/app';
import { LiveBuilder } from '../support/live-builder';
import { GitIndexService } from '../../api/src/git/git-index.service';
import { DriftEngineService } from '../../api/src/drift/drift-engine.service';

const cm = (name: string, v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: shop }\ndata: { v: "${v}" }\n`;
const T = (min: number) => new Date(Date.parse('2026-08-01T10:00:00Z') + min * 60_000);

describe('timeline API', () => {
  let db: TestDatabase;
  let app: TestServer;
  let repo: GitRepoBuilder;
  let live: LiveBuilder;
  beforeAll(async () => {
    db = await freshDatabase();
    repo = await GitRepoBuilder.create();
    await repo.commit({ files: { 'clusters/prod/a.yaml': cm('a', '1'), 'clusters/prod/b.yaml': cm('b', '1') }, message: 'add a and b (#7)', author: { name: 'Ada', email: 'ada@example.com' }, date: T(0).toISOString() });
    app = await startTestServer({
      databaseUrl: db.url,
      workers: false,
      config: {
        repositories: [{ name: 'infra', path: repo.dir }],
        clusters: [{ name: 'k', kubeconfig: '/dev/null' }],
        environments: [{ name: 'prod', repository: 'infra', paths: ['clusters/prod/**'], cluster: 'k', namespaces: ['shop'] }],
      },
    });
    await app.app.get(GitIndexService).index();
    live = await LiveBuilder.create(db.dataSource, 'k');
    await live.observe(load(cm('a', '1')) as Record<string, unknown>, T(1));
    await live.observe(load(cm('b', '1')) as Record<string, unknown>, T(1));
    await live.observe(load(cm('a', 'hand')) as Record<string, unknown>, T(5), 'kubectl-edit', 'Update');
    // A cluster-scoped object the environment never declared: the cluster's history, not prod's.
    await live.observe({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } }, T(9), 'kube-apiserver', 'Update');
    await app.app.get(DriftEngineService).catchUp();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await repo?.cleanup();
  });

  it('merges Git, live and drift lanes newest first, with what a view needs', async () => {
    const r = await (await app.get(`/api/v1/environments/prod/timeline?from=${T(-60).toISOString()}&to=${T(60).toISOString()}`)).json();
    expect(r.counts).toEqual({ git: 2, live: 3, drift: expect.any(Number) });
    expect(r.events.some((e: { name: string }) => e.name === 'kube-system')).toBe(false);
    // The overview's last live change is prod's, not the cluster's own namespace change after it.
    const [prod] = await (await app.get('/api/v1/environments')).json();
    expect(prod).toMatchObject({ name: 'prod', lastLiveChangeAt: T(5).toISOString() });
    const lanes = r.events.map((e: { lane: string; name: string; change: string }) => `${e.lane}:${e.name}:${e.change}`);
    expect(lanes[0]).toBe('drift:a:opened');
    expect(lanes[1]).toBe('live:a:configured');
    expect(lanes.filter((l: string) => l.startsWith('git:'))).toEqual(['git:a:created', 'git:b:created'].sort().reverse());
    const edit = r.events.find((e: { lane: string; actor: string }) => e.lane === 'live' && e.actor === 'kubectl-edit');
    expect(edit).toMatchObject({ actorClass: 'human', kind: 'ConfigMap', namespace: 'shop', operation: 'Update' });
    const commit = r.events.find((e: { lane: string }) => e.lane === 'git');
    expect(commit.commit).toMatchObject({ subject: 'add a and b (#7)', pullRequest: 7 });
  });

  it('filters by manager, author, name and lane, and pages with a cursor', async () => {
    const base = `/api/v1/environments/prod/timeline?from=${T(-60).toISOString()}&to=${T(60).toISOString()}`;
    const byManager = await (await app.get(base + '&manager=kubectl')).json();
    expect(byManager.events.map((e: { lane: string; name: string }) => `${e.lane}:${e.name}`)).toEqual(['live:a']);
    const byAuthor = await (await app.get(base + '&author=ada')).json();
    expect(byAuthor.events.every((e: { lane: string }) => e.lane === 'git')).toBe(true);
    const gitOnly = await (await app.get(base + '&lanes=git&name=b')).json();
    expect(gitOnly.events.map((e: { name: string }) => e.name)).toEqual(['b']);
    const p1 = await (await app.get(base + '&limit=2')).json();
    const p2 = await (await app.get(base + `&limit=2&cursor=${p1.nextCursor}`)).json();
    const keys = [...p1.events, ...p2.events].map((e: { key: string }) => e.key);
    expect(new Set(keys).size).toBe(4);
    expect((await app.get(base.replace(T(-60).toISOString(), '2020-01-01T00:00:00Z'))).status).toBe(400);
  });

  it('streams new events as server-sent events', async () => {
    const ac = new AbortController();
    // The browser offers gzip; the stream must still arrive event by event, uncompressed.
    const res = await app.get('/api/v1/environments/prod/timeline/stream', { signal: ac.signal, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('content-encoding')).toBeNull();
    const reader = res.body!.getReader();
    let text = '';
    const read = async (until: (t: string) => boolean) => {
      const deadline = Date.now() + 15_000;
      while (!until(text) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    };
    await read((t) => t.includes('event: ready'));
    await live.observe(load(cm('b', 'patched')) as Record<string, unknown>, new Date(), 'kubectl-patch', 'Update');
    await read((t) => /event: event\n(id: .*\n)?data: .*"name":"b"/.test(t));
    ac.abort();
    const data = text.split('\n').filter((l) => l.startsWith('data: ') && l.includes('"lane"')).map((l) => JSON.parse(l.slice(6)));
    expect(data).toEqual([expect.objectContaining({ lane: 'live', name: 'b', actor: 'kubectl-patch', actorClass: 'human' })]);
    expect(text).not.toContain('event: error');
  });

  it('diffs Git against the cluster as drift compares them, and counts only what the environment declares', async () => {
    const state = await (await app.get('/api/v1/environments/prod/state?side=live')).json();
    expect(state.objects.map((o: { name: string }) => o.name).sort()).toEqual(['a', 'b']);
    const id = state.objects.find((o: { name: string }) => o.name === 'a').objectId;
    const d = await (await app.get(`/api/v1/objects/${id}/diff?a=desired&b=live&environment=prod`)).json();
    expect(d.normalized).toBe(true);
    const changed = d.diff.split('\n').filter((l: string) => /^[+-](?![+-])/.test(l));
    expect(changed).toEqual(["-  v: '1'", "+  v: hand"]);
  });
});
