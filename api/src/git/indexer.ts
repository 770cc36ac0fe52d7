import picomatch from 'picomatch';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { EnvironmentConfig, RepositoryConfig } from '../config/schema';
import { identityKey, ObjectIdentity } from '../core/identity';
import { canonicalJson, sha256Hex } from '../core/canonical';
import { chainHash } from '../core/chain';
import { parseManifestFile, isManifestCandidate } from '../core/manifests';
import { redactObject, SensitiveRules } from '../core/redact';
import { bulkInsert } from '../db/bulk';
import { storeDocuments } from '../store/documents';
import { ObjectIds } from '../store/objects';
import { CatFile } from './reader/cat-file';
import { streamLog, countCommits, revParse, isAncestor, listReachable, lsTree, LogCommit, FileChange } from './reader/log-stream';
import { extractPullRequest, extractCoAuthors } from './reader/commit-meta';
import { runGit } from './reader/run-git';
import { BlobContents, RepoTree } from './reader/repo-tree';
import type { GitSource } from './source';
import { closureHasAny, findKustomizeEntryPoints, isUnder, touchKeys, type KustomizeProblem } from '../core/kustomize';
import { normalizePath } from '../core/kustomize/paths';
import { loadDocuments } from '../store/documents';
import { blobsToPrefetch, DesiredObjects, EntryRenderer, specFromEntryPoint, specKey, type EntryOutput, type EntrySpec, type RenderedObject } from './render-entries';
import { defaultRenderWorkerScript, objectsOf, RenderPool, type WireBatch, type WireRender } from './render-pool';
import { availableParallelism } from 'node:os';
import { pushAll } from '../core/arrays';

export interface IndexProgress {
  done: number;
  total: number;
  commitsPerSecond: number;
  etaSeconds: number | null;
}

export interface IndexSummary {
  repository: string;
  head: string | null;
  commits: number;
  newCommits: number;
  fileChanges: number;
  objectRevisions: number;
  parseErrors: number;
  blobsParsed: number;
  /** Entry renders recorded (render: kustomize / auto), and how many of them had problems. */
  entryRenders: number;
  renderProblems: number;
  unreachable: number;
  rewritten: boolean;
  seconds: number;
}

interface BlobObject {
  key: string;
  identity: ObjectIdentity;
  hash: string;
}

/** A parsed blob: its objects, and whether it failed (bad YAML, template, too large, missing). */
interface ParsedBlob {
  failed: boolean;
  objects: BlobObject[];
}

/** One entry directory of a rendering environment, as of the last commit applied. */
interface EntryState {
  spec: EntrySpec;
  /** Closure of the last render (null: never rendered, render at the next commit). */
  closure: string[] | null;
  closureSet: Set<string> | null;
  /** The last good output: what the entry contributes to the environment. */
  objects: RenderedObject[];
  /** Entry points named by the last good output (render: auto). */
  refs: EntrySpec[];
  /** Problems of the last render ([] when it was good). */
  problems: KustomizeProblem[];
}

interface RenderState {
  mode: 'kustomize' | 'auto';
  /** Entries from the environment's `entries`. */
  configured: EntrySpec[];
  /** Entries in effect (keyed by directory); their objects are owned under the directory's name. */
  entries: Map<string, EntryState>;
  /** render: auto — entry points named by each matched file's objects. */
  fileRefs: Map<string, EntrySpec[]>;
}

/** A render recorded at a commit (kustomize_renders row, before ids). */
interface PendingRender {
  environment: string;
  entry: string;
  commit: LogCommit;
  seq: number;
  state: EntryState | null;
}

interface EnvState {
  spec: EnvironmentConfig;
  render: RenderState | null;
  match: (path: string) => boolean;
  files: Map<string, string>;
  byPath: Map<string, Map<string, string>>;
  owners: Map<string, Set<string>>;
  current: Map<string, { hash: string; path: string }>;
  identities: Map<string, ObjectIdentity>;
  chainHead: string | null;
}

interface PendingRevision {
  environment: string;
  key: string;
  commit: LogCommit;
  seq: number;
  hash: string | null;
  path: string;
  change: 'created' | 'configured' | 'deleted';
}

/** A batch ready for its transaction (see prepareBatch); `work` is absent when every commit was already indexed. */
interface PreparedBatch {
  lastSha: string;
  commits: LogCommit[];
  work?: {
    parsed: { blobs: unknown[][]; objects: unknown[][]; docs: Map<string, string> };
    commitRows: unknown[][];
    fileRows: unknown[][];
    revisions: PendingRevision[];
    filesChanged: Map<string, Map<string, string | null>>;
    currentChanged: Map<string, Map<string, { hash: string; path: string } | null>>;
    renders: PendingRender[];
    /** Entry state to persist per environment (null = the entry is gone). */
    entriesChanged: Map<string, Map<string, EntryState | null>>;
    nextSeq: number;
  };
}

export interface IndexerOptions {
  ds: DataSource;
  repo: RepositoryConfig;
  source: GitSource;
  environments: EnvironmentConfig[];
  installKey: Buffer;
  sensitive?: SensitiveRules;
  logger: Logger;
  /** Commits per transaction. */
  batchSize?: number;
  onProgress?: (p: IndexProgress) => void;
  /** Test hook: called after each committed batch (kill-and-resume tests stop here). */
  afterBatch?: (committedCommits: number) => void | Promise<void>;
  /**
   * Worker threads that render `render: kustomize` environments when a run spans several batches
   * (default: one per CPU but one, at most 3; 0 renders in this thread). Needs the compiled worker script.
   */
  renderWorkers?: number;
  /** The render worker script (default: render-worker.js next to this module, when built). */
  renderWorkerScript?: string;
}

/** A batch on its way: its new commits, and their renders when a pool renders them. */
interface QueuedBatch {
  batch: LogCommit[];
  commits: LogCommit[] | null;
  rendered: Promise<WireBatch> | null;
}

const DEFAULT_BATCH = 500;

/**
 * Indexes one repository's branch: every reachable commit, its file changes,
 * every manifest blob parsed once (content-addressed), and per environment a
 * desired revision only where an object's content changed on the branch's
 * first-parent history (merges count as the change, diffed against their
 * first parent — what the branch actually deployed).
 *
 * Each batch of commits is one transaction that also moves last_indexed_sha and
 * the environment state, so a kill at any point resumes exactly where it stopped.
 */
export class RepositoryIndexer {
  private readonly batchSize: number;
  private readonly objectIds = new ObjectIds();
  private readonly blobCache = new Map<string, ParsedBlob>();
  private readonly knownBlobs = new Set<string>();
  private readonly envs: EnvState[];
  private catFile: CatFile | null = null;
  /** The repository's files at the commit being applied (only kept when an environment renders). */
  private tree: RepoTree | null = null;
  private renderer: EntryRenderer | null = null;
  /** Rendered objects → desired objects, for this thread's renders and the render workers' alike. */
  private desired: DesiredObjects | null = null;
  /** Render workers of this run (render: kustomize environments), when it spans several batches. */
  private pool: RenderPool | null = null;
  /**
   * Each pooled entry's last render as a worker sent it (what the next one's changes are against).
   * A worker sends whole lists again after skipping batches, so this never mixes two workers' renders.
   */
  private readonly pooledOut = new Map<string, { closure: string[]; objects: Record<string, unknown>[] }>();
  /** The environments the pool renders, with their index in its environment list. */
  private readonly pooled = new Map<EnvState, number>();
  /** Entry points found in Flux Kustomization / Argo CD Application documents, by document hash. */
  private readonly docRefs = new Map<string, ReturnType<typeof findKustomizeEntryPoints>>();
  private repoId = 0;
  private nextSeq = 1;
  private commitChainHead: string | null = null;
  private summary!: IndexSummary;

  constructor(private readonly o: IndexerOptions) {
    this.batchSize = o.batchSize ?? DEFAULT_BATCH;
    this.envs = o.environments
      .filter((e) => e.repository === o.repo.name)
      .map((spec) => ({
        spec,
        render: renderStateFor(spec),
        match: picomatch(spec.paths, { dot: true }),
        files: new Map(),
        byPath: new Map(),
        owners: new Map(),
        current: new Map(),
        identities: new Map(),
        chainHead: null,
      }));
  }

  async run(): Promise<IndexSummary> {
    const started = Date.now();
    const { ds, repo, source } = this.o;
    this.summary = { repository: repo.name, head: null, commits: 0, newCommits: 0, fileChanges: 0, objectRevisions: 0, parseErrors: 0, blobsParsed: 0, entryRenders: 0, renderProblems: 0, unreachable: 0, rewritten: false, seconds: 0 };
    try {
      await this.ensureRepositoryRow();
      const head = await revParse(source.dir, source.ref, { env: source.env });
      this.summary.head = head;
      const row = (await ds.query(`SELECT last_indexed_sha, next_seq FROM repositories WHERE id = $1`, [this.repoId]))[0];
      let last: string | null = row.last_indexed_sha;
      this.nextSeq = Number(row.next_seq);
      await ds.query(`UPDATE repositories SET head_sha = $2, last_fetch_at = now() WHERE id = $1`, [this.repoId, head]);
      if (!head) throw new Error(`repository ${repo.name}: branch ${repo.branch} not found (${source.ref})`);
      if (last && last !== head && !(await this.exists(last))) last = null;
      if (last && last !== head && !(await isAncestor(source.dir, last, head, { env: source.env }))) {
        last = await this.handleRewrite(last, head);
      }
      if (last !== head) {
        await this.loadState(last);
        await this.indexRange(last, head);
      }
      this.summary.commits = Number((await ds.query(`SELECT count(*) AS n FROM commits WHERE repository_id = $1 AND reachable`, [this.repoId]))[0].n);
      await ds.query(`UPDATE repositories SET last_indexed_at = now(), last_error = NULL WHERE id = $1`, [this.repoId]);
    } finally {
      // Also when the run fails: a long-running server would otherwise keep one `git cat-file --batch` per failed run.
      await this.catFile?.close();
      this.catFile = null;
    }
    this.summary.seconds = (Date.now() - started) / 1000;
    return this.summary;
  }

  private async exists(sha: string): Promise<boolean> {
    const r = await runGit(this.o.source.dir, ['cat-file', '-e', `${sha}^{commit}`], { env: this.o.source.env, okCodes: [0, 1, 128] });
    return r.exitCode === 0;
  }

  private async ensureRepositoryRow(): Promise<void> {
    const { ds, repo, source } = this.o;
    const rows = await ds.query(
      `INSERT INTO repositories (name, branch, source) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT repositories_name_uq DO UPDATE SET branch = EXCLUDED.branch, source = EXCLUDED.source
       RETURNING id`,
      [repo.name, repo.branch, source.display],
    );
    this.repoId = Number(rows[0].id);
  }

  /**
   * History was rewritten (force push): commits no longer reachable are kept and
   * flagged, and the environment state is reset to the newest commit both
   * histories share, from which indexing continues.
   */
  private async handleRewrite(last: string, head: string): Promise<string | null> {
    const { ds, source, logger, repo } = this.o;
    this.summary.rewritten = true;
    const reachable = new Set<string>();
    for await (const sha of listReachable(source.dir, head, { env: source.env })) reachable.add(sha);
    const indexed: { sha: string }[] = await ds.query(`SELECT sha FROM commits WHERE repository_id = $1 AND reachable`, [this.repoId]);
    const gone = indexed.map((r) => r.sha).filter((s) => !reachable.has(s));
    const mb = await runGit(source.dir, ['merge-base', last, head], { env: source.env, okCodes: [0, 1] });
    const base = mb.exitCode === 0 ? mb.stdout.toString().trim() : null;
    await ds.transaction(async (m) => {
      await m.query(`UPDATE commits SET reachable = false, unreachable_at = now() WHERE repository_id = $1 AND sha = ANY($2::text[])`, [this.repoId, gone]);
      const envNames = this.envs.map((e) => e.spec.name);
      await m.query(`DELETE FROM desired_current WHERE environment = ANY($1::text[])`, [envNames]);
      await m.query(`DELETE FROM desired_files WHERE environment = ANY($1::text[])`, [envNames]);
      // Entries render again at the first commit after the shared base (their closures are unknown there).
      await m.query(`DELETE FROM kustomize_entries WHERE environment = ANY($1::text[])`, [envNames]);
      if (base) {
        const baseSeq = Number((await m.query(`SELECT seq FROM commits WHERE repository_id = $1 AND sha = $2`, [this.repoId, base]))[0]?.seq ?? 0);
        await m.query(
          `INSERT INTO desired_current (environment, object_id, document_hash, path, commit_sha)
           SELECT environment, object_id, document_hash, path, commit_sha FROM (
             SELECT DISTINCT ON (dr.environment, dr.object_id) dr.environment, dr.object_id, dr.document_hash, dr.path, dr.commit_sha
               FROM desired_revisions dr
               JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha
              WHERE dr.repository_id = $1 AND c.reachable AND dr.environment = ANY($2::text[]) AND dr.commit_seq <= $3
              ORDER BY dr.environment, dr.object_id, dr.commit_seq DESC) s
           WHERE document_hash IS NOT NULL`,
          [this.repoId, envNames, baseSeq],
        );
        const tree = await lsTree(source.dir, base, [], { env: source.env });
        const rows: unknown[][] = [];
        for (const env of this.envs) for (const e of tree) if (e.type === 'blob' && env.match(e.path)) rows.push([env.spec.name, e.path, e.sha]);
        await bulkInsert(m, 'desired_files', [{ name: 'environment', type: 'text' }, { name: 'path', type: 'text' }, { name: 'blob_sha', type: 'text' }], rows);
      }
      await m.query(`UPDATE repositories SET last_indexed_sha = $2 WHERE id = $1`, [this.repoId, base]);
    });
    this.summary.unreachable = gone.length;
    logger.warn({ repository: repo.name, unreachable: gone.length, base }, 'history was rewritten: unreachable commits kept and flagged');
    return base;
  }

  /** Load the environments' state at last_indexed_sha from the resumable state tables. */
  private async loadState(last: string | null): Promise<void> {
    const { ds, source } = this.o;
    const chain = await ds.query(`SELECT hash FROM commits WHERE repository_id = $1 ORDER BY seq DESC LIMIT 1`, [this.repoId]);
    this.commitChainHead = chain[0]?.hash ?? null;
    if (this.envs.some((e) => e.render)) {
      const tree = new RepoTree();
      if (last) for (const e of await lsTree(source.dir, last, [], { env: source.env })) if (e.type === 'blob') tree.set(e.path, e.sha);
      this.tree = tree;
      const blobs = new BlobContents(() => (this.catFile ??= new CatFile(this.o.source.dir, { env: this.o.source.env, maxBytes: this.o.repo.maxFileSize })));
      const desired = (this.desired = new DesiredObjects({ installKey: this.o.installKey, sensitive: this.o.sensitive, maxFileBytes: this.o.repo.maxFileSize }));
      this.renderer = new EntryRenderer({ tree, blobs, maxFileBytes: this.o.repo.maxFileSize, desired });
    }
    for (const env of this.envs) {
      const name = env.spec.name;
      const head = await ds.query(`SELECT hash FROM desired_revisions WHERE environment = $1 ORDER BY id DESC LIMIT 1`, [name]);
      env.chainHead = head[0]?.hash ?? null;
      if (env.render) await this.loadEntries(env);
      const files: { path: string; blob_sha: string }[] = await ds.query(`SELECT path, blob_sha FROM desired_files WHERE environment = $1`, [name]);
      const wanted = files.filter((f) => this.needsParse(env, f.path)).map((f) => ({ sha: f.blob_sha, path: f.path }));
      await this.ensureBlobs(wanted, env.spec.defaultNamespace);
      if (env.render?.mode === 'auto') await this.ensureDocRefs(wanted, env.spec.defaultNamespace, new Map());
      for (const f of files) this.setFile(env, f.path, f.blob_sha, null);
      const current: { document_hash: string; path: string; group: string; kind: string; namespace: string; name: string }[] = await ds.query(
        `SELECT dc.document_hash, dc.path, o."group", o.kind, o.namespace, o.name FROM desired_current dc JOIN objects o ON o.id = dc.object_id WHERE dc.environment = $1`,
        [name],
      );
      for (const c of current) {
        const key = identityKey(c);
        env.current.set(key, { hash: c.document_hash, path: c.path });
        env.identities.set(key, { group: c.group, kind: c.kind, namespace: c.namespace, name: c.name });
      }
    }
  }

  private async indexRange(last: string | null, head: string): Promise<void> {
    const { source } = this.o;
    const range = last ? [head, `^${last}`] : [head];
    const fpArgs = ['rev-list', '--first-parent', head, ...(last ? [`^${last}`] : []), '--'];
    // Start the log first: with --topo-order --reverse git walks the whole range before the first commit
    // comes out, and the two rev-lists run meanwhile. The log is closed on every way out (finally below).
    const log = streamLog(source.dir, { range, reverse: true, env: source.env });
    const firstRead = log.next();
    firstRead.catch(() => undefined); // observed in the loop below
    try {
      const [fpOut, total] = await Promise.all([
        runGit(source.dir, fpArgs, { env: source.env }),
        countCommits(source.dir, last ? `${last}..${head}` : head, { env: source.env }),
      ]);
      const firstParent = new Set(fpOut.stdout.toString().split('\n').filter(Boolean));
      this.startPool(total);
      await this.indexLog(log, firstRead, firstParent, total);
    } finally {
      await log.return(undefined);
      await this.pool?.close();
      this.pool = null;
      this.pooled.clear();
      this.pooledOut.clear();
    }
  }

  /**
   * Render workers for the render: kustomize environments, when this run spans several batches and
   * the machine has more than one CPU (a worker costs a start-up and a copy of the render caches).
   */
  private startPool(total: number): void {
    const envs = this.envs.filter((e) => e.render?.mode === 'kustomize');
    if (!envs.length || !this.tree || total <= this.batchSize) return;
    const cpus = availableParallelism();
    // One CPU stays with this thread (it applies, stores and reads git meanwhile) and PostgreSQL: two CPUs
    // get one worker, which takes the renders off this thread at no extra cost; more workers each repeat
    // some work (a catch-up render per run of batches, their own caches and compiled code).
    const count = this.o.renderWorkers ?? Math.min(3, cpus - 1);
    const script = this.o.renderWorkerScript ?? defaultRenderWorkerScript();
    if (count < 1 || !script) return;
    envs.forEach((e, i) => this.pooled.set(e, i));
    // Each worker renders a run of consecutive batches (its caches stay warm; a worker that skipped
    // batches renders every entry once more to catch up), up to 16 so memory for batches read ahead stays bounded.
    const run = Math.min(16, Math.max(1, Math.ceil(Math.ceil(total / this.batchSize) / count)));
    this.pool = new RenderPool(script, count, {
      gitDir: this.o.source.dir,
      gitEnv: this.o.source.env,
      maxFileBytes: this.o.repo.maxFileSize,
      tree: this.tree.entries(),
      environments: envs.map((e) => ({
        name: e.spec.name,
        defaultNamespace: e.spec.defaultNamespace,
        entries: [...e.render!.entries.values()].map((st) => ({ spec: st.spec, closure: st.closure })),
      })),
    }, run);
  }

  private async indexLog(log: AsyncGenerator<LogCommit>, firstRead: Promise<IteratorResult<LogCommit>>, firstParent: Set<string>, total: number): Promise<void> {
    const started = Date.now();
    let done = 0;
    let batch: LogCommit[] = [];
    // Two-stage pipeline: batch N+1 is read, parsed and applied to the in-memory state while batch N's
    // transaction runs (Postgres and this thread work at the same time). Transactions still commit one
    // at a time and in order, and afterBatch still runs after each commit; a failure stops the run.
    let inflight: Promise<void> | null = null;
    // A bulk load into tables Postgres has no statistics for yet: plans it caches in the first batch
    // (the foreign-key checks against commits among them) may pick an index on repository_id alone and
    // then scan every commit per inserted row, which grows quadratically (batch size 250 took 50 s
    // instead of 7 s over 20,000 commits). One ANALYZE after the first batch re-plans them.
    let analyze = total > this.batchSize && total > this.nextSeq - 1;
    const commitAndReport = async (prepared: PreparedBatch, size: number) => {
      await this.commitBatch(prepared);
      if (analyze) {
        analyze = false;
        await this.analyzeTables();
      }
      done += size;
      const secs = (Date.now() - started) / 1000;
      const rate = secs > 0 ? done / secs : 0;
      this.o.onProgress?.({ done, total, commitsPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : null });
      await this.o.afterBatch?.(done);
    };
    // With render workers, batches are handed to them ahead, so each has a batch to render while this
    // thread applies and stores the oldest one.
    const queue: QueuedBatch[] = [];
    const ahead = this.pool ? this.pool.ahead : 0;
    const next = async () => {
      const q = queue.shift()!;
      const prepared = await this.prepareBatch(q.batch, firstParent, q);
      if (inflight) await inflight;
      inflight = commitAndReport(prepared, q.batch.length);
      inflight.catch(() => undefined); // awaited by the next batch or below
    };
    const flush = async () => {
      if (!batch.length) return;
      const b = batch;
      batch = [];
      let q: QueuedBatch = { batch: b, commits: null, rendered: null };
      if (this.pool) {
        const commits = await this.newCommits(b);
        const fp = commits.filter((c) => firstParent.has(c.sha));
        q = { batch: b, commits, rendered: fp.length ? this.pool.render(fp.map((c) => c.files)) : null };
        q.rendered?.catch(() => undefined); // observed in prepareBatch
      }
      queue.push(q);
      if (queue.length > ahead) await next();
    };
    // With render workers the run is a pipeline (a worker renders a batch while this thread stores the
    // one before): it starts when the first batch is read and ends with this thread storing the last one
    // after the worker rendered it. A short first and last batch shorten that fill and drain.
    let read = 0;
    const cutAt = () => (this.pool ? pipelineBatchSize(read, total, this.batchSize) : this.batchSize);
    let cut = cutAt();
    try {
      for (let r = await firstRead; !r.done; r = await log.next()) {
        batch.push(r.value);
        if (batch.length >= cut) {
          read += batch.length;
          await flush();
          cut = cutAt();
        }
      }
      await flush();
      while (queue.length) await next();
      if (inflight) await inflight;
    } catch (e) {
      // Never leave a transaction running behind a failed run.
      if (inflight) await (inflight as Promise<void>).catch(() => undefined);
      throw e;
    }
  }

  private async analyzeTables(): Promise<void> {
    await this.o.ds
      .query(`ANALYZE commits, blobs`)
      .catch((e: Error) => this.o.logger.warn({ err: e.message }, 'ANALYZE after the first batch failed; indexing goes on'));
  }

  /** Parse (once) every blob these paths point at, so parsedBlob() answers from memory. */
  private async ensureBlobs(wanted: { sha: string; path: string }[], defaultNamespace: string, m?: EntityManager): Promise<{ blobs: unknown[][]; objects: unknown[][]; docs: Map<string, string> }> {
    const out = { blobs: [] as unknown[][], objects: [] as unknown[][], docs: new Map<string, string>() };
    const need = new Map<string, string>();
    for (const w of wanted) {
      if (!isManifestCandidate(w.path)) continue;
      if (this.blobCache.has(cacheKey(w.sha, defaultNamespace))) continue;
      need.set(w.sha, w.path);
    }
    if (!need.size) return out;
    const q = m ?? this.o.ds;
    // Blobs parsed in an earlier run: load their objects instead of parsing again.
    const shas = [...need.keys()];
    const known: { sha: string }[] = await q.query(`SELECT sha FROM blobs WHERE sha = ANY($1::text[])`, [shas]);
    const knownSet = new Set(known.map((k) => k.sha));
    const withObjects: { blob_sha: string; doc_index: number; group: string; kind: string; namespace: string; name: string; document_hash: string }[] = knownSet.size
      ? await q.query(
          `SELECT blob_sha, doc_index, "group", kind, namespace, name, document_hash FROM blob_objects WHERE blob_sha = ANY($1::text[]) AND default_namespace = $2 ORDER BY blob_sha, doc_index`,
          [[...knownSet], defaultNamespace],
        )
      : [];
    const loaded = new Map<string, BlobObject[]>();
    for (const r of withObjects) {
      const identity = { group: r.group, kind: r.kind, namespace: r.namespace, name: r.name };
      const list = loaded.get(r.blob_sha) ?? [];
      list.push({ key: identityKey(identity), identity, hash: r.document_hash });
      loaded.set(r.blob_sha, list);
    }
    // A known blob parsed for another default namespace has no rows for this one: parse it again.
    const hasNsRows = new Set<string>();
    const failedKnown = new Set<string>();
    if (knownSet.size) {
      const nsRows: { blob_sha: string }[] = await q.query(`SELECT DISTINCT blob_sha FROM blob_objects WHERE blob_sha = ANY($1::text[]) AND default_namespace = $2`, [[...knownSet], defaultNamespace]);
      for (const r of nsRows) hasNsRows.add(r.blob_sha);
      const statuses: { sha: string; objects: number; status: string }[] = await q.query(`SELECT sha, objects, status FROM blobs WHERE sha = ANY($1::text[])`, [[...knownSet]]);
      for (const s of statuses) {
        if (s.status === 'error' || s.status === 'skipped') failedKnown.add(s.sha);
        if (Number(s.objects) === 0) hasNsRows.add(s.sha);
      }
    }
    const toParse: [string, string][] = [];
    for (const [sha, path] of need) {
      if (hasNsRows.has(sha)) {
        this.blobCache.set(cacheKey(sha, defaultNamespace), { failed: failedKnown.has(sha) && !loaded.has(sha), objects: loaded.get(sha) ?? [] });
        this.knownBlobs.add(sha);
      } else toParse.push([sha, path]);
    }
    if (!toParse.length) return out;
    this.catFile ??= new CatFile(this.o.source.dir, { env: this.o.source.env, maxBytes: this.o.repo.maxFileSize });
    const results = await this.catFile.readMany(toParse.map(([sha]) => sha));
    for (let i = 0; i < toParse.length; i++) {
      // Let the previous batch's transaction make progress (see indexRange) between chunks of parsing.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      const [sha, path] = toParse[i]!;
      const r = results[i]!;
      let status: string;
      let reasonCode: string | null = null;
      let reason: string | null = null;
      let size: number | null = null;
      const objects: BlobObject[] = [];
      if ('missing' in r) {
        status = 'error';
        reasonCode = 'missing';
        reason = 'blob is missing from the repository (partial clone or corrupt object store)';
      } else {
        size = r.size;
        const parsed = 'tooLarge' in r
          ? parseManifestFile(path, Buffer.alloc(0), { maxBytes: this.o.repo.maxFileSize, size: r.size, defaultNamespace })
          : parseManifestFile(path, r.content, { maxBytes: this.o.repo.maxFileSize, defaultNamespace });
        status = parsed.status;
        reasonCode = parsed.reasonCode ?? (parsed.problems[0]?.reasonCode ?? null);
        reason = parsed.reason ?? (parsed.problems.length ? parsed.problems.map((p) => `document ${p.docIndex + 1}: ${p.reason}`).join('; ') : null);
        let ordinal = 0;
        for (const obj of parsed.objects) {
          if (obj.isKustomizeConfig) continue;
          const body = redactObject(obj.body, { key: this.o.installKey, sensitive: this.o.sensitive });
          const json = canonicalJson(body);
          const hash = sha256Hex(json);
          out.docs.set(hash, json);
          const key = identityKey(obj.identity);
          objects.push({ key, identity: obj.identity, hash });
          out.objects.push([sha, defaultNamespace, ordinal++, obj.identity.group, obj.identity.kind, obj.identity.namespace, obj.identity.name, hash]);
        }
      }
      if (status === 'error') this.summary.parseErrors++;
      this.summary.blobsParsed++;
      if (!this.knownBlobs.has(sha) && !knownSet.has(sha)) out.blobs.push([sha, size, status, reasonCode, reason, objects.length]);
      this.knownBlobs.add(sha);
      this.blobCache.set(cacheKey(sha, defaultNamespace), { failed: (status === 'error' || status === 'skipped') && objects.length === 0, objects });
    }
    return out;
  }

  private parsedBlob(sha: string, path: string, defaultNamespace: string): ParsedBlob {
    if (!isManifestCandidate(path)) return { failed: false, objects: [] };
    return this.blobCache.get(cacheKey(sha, defaultNamespace)) ?? { failed: false, objects: [] };
  }

  /**
   * Set (blob) or remove (null) a file of an environment, adding the object keys it
   * touched. A blob that failed to parse (bad YAML, template, too large, missing)
   * leaves the file's last good objects in place, as a GitOps tool keeps applying
   * the last good build: the failure is recorded on the blob, not as deletions.
   * In a rendering environment a file under an entry directory is tracked (file
   * changes, desired_files) but its objects are not desired state: the entry's
   * render is. Returns false when the state did not change.
   */
  private setFile(env: EnvState, path: string, blob: string | null, touched: Set<string> | null): boolean {
    const active = this.isActive(env, path);
    const parsed = blob === null || !this.needsParse(env, path) ? null : this.parsedBlob(blob, path, env.spec.defaultNamespace);
    if (parsed?.failed) return false;
    const r = env.render;
    if (r?.mode === 'auto') {
      const refs = parsed ? this.refsOf(env, path, parsed.objects) : [];
      if (refs.length) r.fileRefs.set(path, refs);
      else r.fileRefs.delete(path);
    }
    if (blob === null) env.files.delete(path);
    else env.files.set(path, blob);
    if (active) this.own(env, path, blob === null ? null : (parsed?.objects ?? []), touched);
    return true;
  }

  /**
   * Replace the objects one owner (a file path, or an entry directory) contributes to an environment.
   * Only keys whose content changed (or that came or went) are added to `touched`: a render of 150
   * objects that changed one touches one.
   */
  private own(env: EnvState, owner: string, objects: readonly BlobObject[] | null, touched: Set<string> | null): void {
    const before = env.byPath.get(owner);
    if (objects === null) {
      if (!before) return;
      for (const key of before.keys()) {
        env.owners.get(key)?.delete(owner);
        touched?.add(key);
      }
      env.byPath.delete(owner);
      return;
    }
    const map = new Map<string, string>();
    for (const o of objects) {
      map.set(o.key, o.hash);
      // Same key, same content: the owner is already among its owners.
      if (before !== undefined && before.get(o.key) === o.hash) continue;
      env.identities.set(o.key, o.identity);
      let owners = env.owners.get(o.key);
      if (!owners) env.owners.set(o.key, (owners = new Set()));
      owners.add(owner);
      touched?.add(o.key);
    }
    if (before) {
      for (const key of before.keys()) {
        if (map.has(key)) continue;
        env.owners.get(key)?.delete(owner);
        touched?.add(key);
      }
    }
    env.byPath.set(owner, map);
  }

  /**
   * own() for an owner whose previous objects are `before`: when every key is at the same place
   * (a render where a few objects changed), only the changed ones are written and touched.
   */
  private reown(env: EnvState, owner: string, before: readonly BlobObject[], objects: readonly BlobObject[], touched: Set<string>): void {
    const map = env.byPath.get(owner);
    if (map === undefined || before.length !== objects.length || map.size !== objects.length || !objects.every((o, i) => o.key === before[i]!.key)) {
      this.own(env, owner, objects, touched);
      return;
    }
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i]!;
      if (o === before[i] || o.hash === before[i]!.hash) continue;
      map.set(o.key, o.hash);
      touched.add(o.key);
    }
  }

  /** A file's objects are desired state unless it lies under one of the environment's entry directories. */
  private isActive(env: EnvState, path: string): boolean {
    if (!env.render) return true;
    for (const dir of env.render.entries.keys()) if (isUnder(path, dir)) return false;
    return true;
  }

  /** Whether a file's blob must be parsed: its objects are desired state, or (render: auto) they may name entries. */
  private needsParse(env: EnvState, path: string): boolean {
    return env.render?.mode === 'auto' || this.isActive(env, path);
  }

  /** Entry points named by a file's Flux Kustomizations / Argo CD Applications (render: auto). */
  private refsOf(env: EnvState, path: string, objects: readonly BlobObject[]): EntrySpec[] {
    const out: EntrySpec[] = [];
    for (const o of objects) {
      if (!isEntryPointKind(o.identity)) continue;
      for (const ep of this.docRefs.get(o.hash) ?? []) out.push(specFromEntryPoint(ep, path, env.spec.renderer));
    }
    return out;
  }

  /** Read the entry points of Flux Kustomization / Argo CD Application documents these blobs hold (bodies from this batch, else from the database). */
  private async ensureDocRefs(wanted: { sha: string; path: string }[], defaultNamespace: string, pending: Map<string, string>): Promise<void> {
    const need = new Set<string>();
    for (const w of wanted) {
      for (const o of this.parsedBlob(w.sha, w.path, defaultNamespace).objects) if (isEntryPointKind(o.identity) && !this.docRefs.has(o.hash)) need.add(o.hash);
    }
    if (!need.size) return;
    const fromDb = await loadDocuments(this.o.ds, [...need].filter((h) => !pending.has(h)));
    for (const h of need) {
      const json = pending.get(h);
      const body = json !== undefined ? JSON.parse(json) : fromDb.get(h);
      this.docRefs.set(h, body ? findKustomizeEntryPoints([body]) : []);
    }
  }

  /** The rendering state of an environment at last_indexed_sha (kustomize_entries). */
  private async loadEntries(env: EnvState): Promise<void> {
    const r = env.render!;
    const rows: { entry: string; state: StoredEntryState }[] = await this.o.ds.query(`SELECT entry, state FROM kustomize_entries WHERE environment = $1 ORDER BY entry`, [env.spec.name]);
    for (const row of rows) {
      const st = row.state;
      if (st.v !== 1) continue; // an unknown version renders again
      const objects = st.objects.map(([group, kind, namespace, name, hash]) => {
        const identity = { group, kind, namespace, name };
        return { key: identityKey(identity), identity, hash };
      });
      const state: EntryState = { spec: st.spec, closure: st.closure, closureSet: st.closure ? new Set(st.closure) : null, objects, refs: st.refs, problems: st.problems };
      r.entries.set(row.entry, state);
      this.own(env, row.entry, objects, null);
    }
    if (r.mode === 'kustomize') {
      // Configured entries not rendered yet render at the next commit.
      for (const spec of r.configured) if (!r.entries.has(spec.dir)) r.entries.set(spec.dir, { spec, closure: null, closureSet: null, objects: [], refs: [], problems: [] });
    }
  }

  /**
   * Render the entries of a rendering environment at a commit (the tree already
   * moved to it): an entry renders when its closure was touched, when it is new,
   * or when it never rendered; render: auto follows Flux/Argo CD entry points in
   * the environment's files and in rendered output until nothing new appears.
   * A render with problems keeps the entry's last good objects.
   */
  private async renderCommit(env: EnvState, commit: LogCommit, seq: number, touched: Set<string>, docs: Map<string, string>, renders: PendingRender[], entriesChanged: Map<string, EntryState | null>): Promise<void> {
    const r = env.render!;
    const changed: string[] = [];
    for (const fc of commit.files) {
      changed.push(fc.path);
      if (fc.oldPath) changed.push(fc.oldPath);
    }
    const keys = touchKeys(changed);
    if (r.mode === 'kustomize') {
      // Fixed entries: render those whose closure the commit touched (or that never rendered).
      for (const [dir, prev] of r.entries) {
        if (prev.closureSet && !closureHasAny(prev.closureSet, keys)) continue;
        this.recordRender(env, dir, prev, await this.renderEntry(env, prev.spec, prev, docs), commit, seq, touched, renders, entriesChanged);
      }
      return;
    }
    const base = new Map<string, EntrySpec>();
    for (const s of r.configured) if (!base.has(s.dir)) base.set(s.dir, s);
    if (r.mode === 'auto') {
      for (const path of [...r.fileRefs.keys()].sort()) for (const s of r.fileRefs.get(path)!) if (!base.has(s.dir)) base.set(s.dir, s);
    }
    let want = base;
    const results = new Map<string, { state: EntryState; rendered: boolean }>();
    for (let round = 0; round < 20; round++) {
      for (const [dir, spec] of want) {
        if (results.has(dir)) continue;
        const prev = r.entries.get(dir);
        const same = prev !== undefined && (prev.spec === spec || specKey(prev.spec) === specKey(spec));
        if (same && prev.closureSet && !closureHasAny(prev.closureSet, keys)) {
          results.set(dir, { state: prev, rendered: false });
          continue;
        }
        results.set(dir, { rendered: true, state: await this.renderEntry(env, spec, same ? prev : null, docs, prev) });
      }
      if (r.mode !== 'auto') break;
      const next = new Map(base);
      for (const dir of [...want.keys()].sort()) for (const s of results.get(dir)!.state.refs) if (!next.has(s.dir)) next.set(s.dir, s);
      const stable = next.size === want.size && [...next].every(([d, s]) => want.has(d) && specKey(want.get(d)!) === specKey(s));
      want = next;
      if (stable) break;
    }
    const moved: string[] = [];
    for (const dir of [...r.entries.keys()].sort()) {
      if (want.has(dir)) continue;
      this.own(env, dir, null, touched);
      r.entries.delete(dir);
      entriesChanged.set(dir, null);
      renders.push({ environment: env.spec.name, entry: dir, commit, seq, state: null });
      moved.push(dir);
    }
    for (const dir of [...want.keys()].sort()) {
      const res = results.get(dir);
      if (!res || !res.rendered) continue;
      const prev = r.entries.get(dir);
      if (!prev) moved.push(dir);
      r.entries.set(dir, res.state);
      if (prev?.objects !== res.state.objects) this.own(env, dir, res.state.objects, touched);
      entriesChanged.set(dir, res.state);
      renders.push({ environment: env.spec.name, entry: dir, commit, seq, state: res.state });
    }
    // Files under an entry that appeared (or went away) stop (or start) being desired state themselves.
    if (moved.length) {
      for (const [path, blob] of env.files) {
        if (!moved.some((d) => isUnder(path, d))) continue;
        const active = this.isActive(env, path);
        if (active && !env.byPath.has(path)) {
          const parsed = this.parsedBlob(blob, path, env.spec.defaultNamespace);
          this.own(env, path, parsed.failed ? [] : parsed.objects, touched);
        } else if (!active && env.byPath.has(path)) this.own(env, path, null, touched);
      }
    }
  }

  /**
   * renderCommit for an environment the pool rendered: the same entries at the same commits, so the
   * same state, render records and owned objects as rendering here. `lastOut` holds each entry's
   * previous render from this worker (what its changes are against). The rendered objects
   * become desired objects here, in commit order, as renderEntry's do.
   */
  private applyRendered(env: EnvState, pooled: number, commit: LogCommit, seq: number, touched: Set<string>, wire: WireRender[], lastOut: Map<string, { closure: string[]; objects: Record<string, unknown>[] }>, docs: Map<string, string>, renders: PendingRender[], entriesChanged: Map<string, EntryState | null>): void {
    const r = env.render!;
    for (const w of wire) {
      if (w.env !== pooled) continue;
      const prev = r.entries.get(w.dir);
      if (!prev) throw new Error(`a render worker rendered ${w.dir}, which is not an entry of ${env.spec.name}`);
      const k = `${pooled}\0${w.dir}`;
      const last = lastOut.get(k);
      const closure = w.closure ?? last?.closure;
      if (!closure) throw new Error(`render worker sent no closure for ${w.dir}`);
      const objects = objectsOf(w.objects, last?.objects, w.dir);
      lastOut.set(k, { closure, objects });
      const out = this.desired!.output({ closure, problems: w.problems, objects }, prev.spec, env.spec.defaultNamespace, docs);
      const state = entryStateOf(prev.spec, out, prev, prev);
      this.recordRender(env, w.dir, prev, state, commit, seq, touched, renders, entriesChanged);
    }
  }

  /** A fixed entry (render: kustomize) rendered at a commit: its new state, the objects it owns, and the render record. */
  private recordRender(env: EnvState, dir: string, prev: EntryState, state: EntryState, commit: LogCommit, seq: number, touched: Set<string>, renders: PendingRender[], entriesChanged: Map<string, EntryState | null>): void {
    env.render!.entries.set(dir, state);
    if (prev.objects !== state.objects) this.reown(env, dir, prev.objects, state.objects, touched);
    entriesChanged.set(dir, state);
    renders.push({ environment: env.spec.name, entry: dir, commit, seq, state });
  }

  /**
   * Render one entry at the current tree. `same` is the entry's state when it rendered with this
   * spec before (its closure is tried as the cache key); a render with problems keeps the objects
   * of `previous` (the entry's state, whatever its spec).
   */
  private async renderEntry(env: EnvState, spec: EntrySpec, same: EntryState | null, docs: Map<string, string>, previous: EntryState | undefined = same ?? undefined): Promise<EntryState> {
    return entryStateOf(spec, await this.renderer!.render(spec, env.spec.defaultNamespace, docs), same, previous);
  }

  /** Apply one first-parent commit to an environment's files (plain objects, desired_files). */
  private applyFiles(env: EnvState, commit: LogCommit, filesChanged: Map<string, string | null>, touched: Set<string>): void {
    for (const fc of commit.files) {
      if (fc.status === 'R' && fc.oldPath && env.match(fc.oldPath)) {
        if (this.setFile(env, fc.oldPath, null, touched)) filesChanged.set(fc.oldPath, null);
      }
      if (!env.match(fc.path)) continue;
      const blob = fc.status === 'D' || fc.newMode === '160000' ? null : fc.newBlob;
      if (this.setFile(env, fc.path, blob, touched)) filesChanged.set(fc.path, blob);
    }
  }

  /** The desired revisions for the object keys a commit touched in an environment. */
  private revisionsFor(env: EnvState, commit: LogCommit, seq: number, touched: Set<string>, currentChanged: Map<string, { hash: string; path: string } | null>): PendingRevision[] {
    const revisions: PendingRevision[] = [];
    for (const key of [...touched].sort()) {
      const owners = env.owners.get(key);
      let next: { hash: string; path: string } | null = null;
      if (owners && owners.size) {
        const path = [...owners].sort()[0]!;
        next = { hash: env.byPath.get(path)!.get(key)!, path };
      } else env.owners.delete(key);
      const prev = env.current.get(key) ?? null;
      if (!prev && !next) continue;
      if (prev && next && prev.hash === next.hash) {
        if (prev.path !== next.path) {
          env.current.set(key, next);
          currentChanged.set(key, next);
        }
        continue;
      }
      const change = !prev ? 'created' : !next ? 'deleted' : 'configured';
      revisions.push({ environment: env.spec.name, key, commit, seq, hash: next?.hash ?? null, path: next?.path ?? prev!.path, change });
      if (next) env.current.set(key, next);
      else env.current.delete(key);
      currentChanged.set(key, next);
    }
    return revisions;
  }

  /** The commits of a batch not indexed yet. */
  private async newCommits(batch: LogCommit[]): Promise<LogCommit[]> {
    const existing = new Set<string>(
      (await this.o.ds.query(`SELECT sha FROM commits WHERE repository_id = $1 AND sha = ANY($2::text[])`, [this.repoId, batch.map((c) => c.sha)])).map((r: { sha: string }) => r.sha),
    );
    return batch.filter((c) => !existing.has(c.sha));
  }

  /**
   * Everything a batch needs before its transaction: which commits are new, their blobs read and
   * parsed, and the environments' in-memory state moved past them. Writes nothing, so it may run
   * while the previous batch's transaction is still open; if that transaction fails the run stops,
   * and a rerun reloads state from the database.
   */
  private async prepareBatch(batch: LogCommit[], firstParent: Set<string>, q: QueuedBatch): Promise<PreparedBatch> {
    const lastSha = batch[batch.length - 1]!.sha;
    const commits = q.commits ?? (await this.newCommits(batch));
    if (!commits.length) return { lastSha, commits };
    // Parse the blobs the environments need before the transaction: reading git is the slow part.
    const parsed = { blobs: [] as unknown[][], objects: [] as unknown[][], docs: new Map<string, string>() };
    for (const env of this.envs) {
      const wanted: { sha: string; path: string }[] = [];
      for (const c of commits) {
        if (!firstParent.has(c.sha)) continue;
        for (const fc of c.files) if (fc.newBlob && fc.status !== 'D' && env.match(fc.path) && this.needsParse(env, fc.path)) wanted.push({ sha: fc.newBlob, path: fc.path });
      }
      const r = await this.ensureBlobs(wanted, env.spec.defaultNamespace);
      pushAll(parsed.blobs, r.blobs);
      pushAll(parsed.objects, r.objects);
      for (const [k, v] of r.docs) parsed.docs.set(k, v);
      if (env.render?.mode === 'auto') await this.ensureDocRefs(wanted, env.spec.defaultNamespace, parsed.docs);
    }
    const renderingHere = this.envs.filter((e) => e.render && !this.pooled.has(e));
    if (this.renderer && renderingHere.length) await this.renderer.prefetch(this.renderBlobs(commits, firstParent, renderingHere));
    // An entry not rendered yet has no closure to go by: once each has rendered, the rest of the
    // batch is prefetched again (else the first batch's renders each miss their changed file).
    const closureUnknown = () => renderingHere.some((e) => [...e.render!.entries.values()].some((x) => x.closureSet === null));
    let unknown = this.renderer !== null && closureUnknown();
    // The pool's renders of this batch (it got exactly the new first-parent commits, in order).
    const rendered = q.rendered ? await q.rendered : null;
    const lastOut = this.pooledOut;
    let fp = 0;
    // Apply to the in-memory state; if the transaction below fails the run stops, and a rerun reloads state from the database.
    const commitRows: unknown[][] = [];
    const fileRows: unknown[][] = [];
    const revisions: PendingRevision[] = [];
    const filesChanged = new Map<string, Map<string, string | null>>();
    const currentChanged = new Map<string, Map<string, { hash: string; path: string } | null>>();
    const renders: PendingRender[] = [];
    const entriesChanged = new Map<string, Map<string, EntryState | null>>();
    for (const env of this.envs) {
      filesChanged.set(env.spec.name, new Map());
      currentChanged.set(env.spec.name, new Map());
      entriesChanged.set(env.spec.name, new Map());
    }
    let seq = this.nextSeq;
    let chain = this.commitChainHead;
    for (let i = 0; i < commits.length; i++) {
      const c = commits[i]!;
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await yieldToEventLoop();
      const pr = extractPullRequest(c.subject, c.body);
      const coAuthors = extractCoAuthors(c.body);
      const record = {
        sha: c.sha,
        parents: c.parents,
        author: c.author,
        committer: c.committer,
        message: c.body,
      };
      const hash = chainHash(chain, record);
      commitRows.push([
        this.repoId, c.sha, seq, JSON.stringify(c.parents), firstParent.has(c.sha),
        c.author.name, c.author.email, c.author.time, c.author.tz,
        c.committer.name, c.committer.email, c.committer.time, c.committer.tz,
        c.subject, c.body, pr?.number ?? null, pr?.kind ?? null, JSON.stringify(coAuthors), chain, hash,
      ]);
      chain = hash;
      for (const fc of c.files) fileRows.push(fileRow(this.repoId, c.sha, fc));
      if (firstParent.has(c.sha)) {
        if (unknown && !closureUnknown()) {
          unknown = false;
          await this.renderer!.prefetch(this.renderBlobs(commits.slice(i), firstParent, renderingHere));
        }
        this.tree?.apply(c.files);
        const wire = rendered?.commits[fp++];
        for (const env of this.envs) {
          const name = env.spec.name;
          const touched = new Set<string>();
          this.applyFiles(env, c, filesChanged.get(name)!, touched);
          const pooled = this.pooled.get(env);
          if (pooled !== undefined) {
            if (!wire) throw new Error(`render workers sent no renders for commit ${c.sha}`);
            this.applyRendered(env, pooled, c, seq, touched, wire, lastOut, parsed.docs, renders, entriesChanged.get(name)!);
          } else if (env.render) await this.renderCommit(env, c, seq, touched, parsed.docs, renders, entriesChanged.get(name)!);
          pushAll(revisions, this.revisionsFor(env, c, seq, touched, currentChanged.get(name)!));
        }
      }
      seq++;
    }
    this.nextSeq = seq;
    this.commitChainHead = chain;
    return { lastSha, commits, work: { parsed, commitRows, fileRows, revisions, filesChanged, currentChanged, renders, entriesChanged, nextSeq: seq } };
  }

  /**
   * The new blobs of a batch that renders will probably read: files of rendering environments,
   * files in an entry's closure, kustomization files. Loading them in one go saves a round trip
   * to git per render; anything else a render needs is loaded when it asks. `envs`: the
   * environments this thread renders.
   */
  private renderBlobs(commits: LogCommit[], firstParent: Set<string>, envs: EnvState[]): string[] {
    return blobsToPrefetch(
      commits.filter((c) => firstParent.has(c.sha)).map((c) => c.files),
      (path) => envs.some((env) => env.match(path) || [...env.render!.entries.values()].some((e) => e.closureSet?.has(path))),
    );
  }

  /** One transaction per batch: the rows, the environments' state tables and last_indexed_sha move together. */
  private async commitBatch(prepared: PreparedBatch): Promise<void> {
    const { ds } = this.o;
    const { lastSha: batchLastSha, commits, work } = prepared;
    if (!work) {
      await ds.query(`UPDATE repositories SET last_indexed_sha = $2 WHERE id = $1`, [this.repoId, batchLastSha]);
      return;
    }
    const { parsed, commitRows, fileRows, revisions, filesChanged, currentChanged, renders, entriesChanged, nextSeq: seq } = work;
    let newIds = new Map<string, number>();
    await ds.transaction(async (m) => {
      await storeDocuments(m, parsed.docs);
      await bulkInsert(m, 'blobs', [
        { name: 'sha', type: 'text' }, { name: 'size', type: 'integer' }, { name: 'status', type: 'text' },
        { name: 'reason_code', type: 'text' }, { name: 'reason', type: 'text' }, { name: 'objects', type: 'integer' },
      ], parsed.blobs, 'ON CONFLICT (sha) DO NOTHING');
      await bulkInsert(m, 'blob_objects', [
        { name: 'blob_sha', type: 'text' }, { name: 'default_namespace', type: 'text' }, { name: 'doc_index', type: 'integer' },
        { name: 'group', type: 'text' }, { name: 'kind', type: 'text' }, { name: 'namespace', type: 'text' }, { name: 'name', type: 'text' },
        { name: 'document_hash', type: 'text' },
      ], parsed.objects, 'ON CONFLICT ON CONSTRAINT blob_objects_pk DO NOTHING');
      await bulkInsert(m, 'commits', [
        { name: 'repository_id', type: 'bigint' }, { name: 'sha', type: 'text' }, { name: 'seq', type: 'bigint' }, { name: 'parents', type: 'text[]' },
        { name: 'first_parent', type: 'boolean' }, { name: 'author_name', type: 'text' }, { name: 'author_email', type: 'text' },
        { name: 'authored_at', type: 'timestamptz' }, { name: 'author_tz', type: 'text' }, { name: 'committer_name', type: 'text' },
        { name: 'committer_email', type: 'text' }, { name: 'committed_at', type: 'timestamptz' }, { name: 'committer_tz', type: 'text' },
        { name: 'subject', type: 'text' }, { name: 'message', type: 'text' }, { name: 'pr_number', type: 'integer' }, { name: 'pr_kind', type: 'text' },
        { name: 'co_authors', type: 'jsonb' }, { name: 'prev_hash', type: 'text' }, { name: 'hash', type: 'text' },
      ], commitRows);
      await bulkInsert(m, 'file_changes', [
        { name: 'repository_id', type: 'bigint' }, { name: 'commit_sha', type: 'text' }, { name: 'path', type: 'text' }, { name: 'status', type: 'text' },
        { name: 'old_path', type: 'text' }, { name: 'old_blob', type: 'text' }, { name: 'new_blob', type: 'text' }, { name: 'new_mode', type: 'text' },
      ], fileRows, 'ON CONFLICT ON CONSTRAINT file_changes_pk DO NOTHING');
      const identities: ObjectIdentity[] = [];
      for (const env of this.envs) for (const key of currentChanged.get(env.spec.name)!.keys()) identities.push(env.identities.get(key)!);
      for (const r of revisions) identities.push(this.envs.find((e) => e.spec.name === r.environment)!.identities.get(r.key)!);
      newIds = await this.objectIds.resolve(m, identities);
      const revRows: unknown[][] = [];
      for (const env of this.envs) {
        let head = env.chainHead;
        for (const r of revisions) {
          if (r.environment !== env.spec.name) continue;
          const record = { environment: r.environment, object: r.key, commit: r.commit.sha, document: r.hash, path: r.path, change: r.change };
          const hash = chainHash(head, record);
          revRows.push([r.environment, newIds.get(r.key), this.repoId, r.commit.sha, r.seq, r.commit.committer.time, r.hash, r.path, r.change, head, hash]);
          head = hash;
        }
        env.chainHead = head;
      }
      await bulkInsert(m, 'desired_revisions', [
        { name: 'environment', type: 'text' }, { name: 'object_id', type: 'bigint' }, { name: 'repository_id', type: 'bigint' },
        { name: 'commit_sha', type: 'text' }, { name: 'commit_seq', type: 'bigint' }, { name: 'committed_at', type: 'timestamptz' },
        { name: 'document_hash', type: 'text' }, { name: 'path', type: 'text' }, { name: 'change', type: 'text' },
        { name: 'prev_hash', type: 'text' }, { name: 'hash', type: 'text' },
      ], revRows);
      // Deletions per environment (rare); the upserts of every environment in one statement each.
      const lastSha = commits[commits.length - 1]!.sha;
      const setFileRows: unknown[][] = [];
      const setCurrentRows: unknown[][] = [];
      for (const env of this.envs) {
        const name = env.spec.name;
        const fc = filesChanged.get(name)!;
        const delFiles = [...fc].filter(([, b]) => b === null).map(([p]) => p);
        for (const [p, b] of fc) if (b !== null) setFileRows.push([name, p, b]);
        if (delFiles.length) await m.query(`DELETE FROM desired_files WHERE environment = $1 AND path = ANY($2::text[])`, [name, delFiles]);
        const cc = currentChanged.get(name)!;
        const delObjs = [...cc].filter(([, v]) => v === null).map(([k]) => newIds.get(k));
        for (const [k, v] of cc) if (v !== null) setCurrentRows.push([name, newIds.get(k), v.hash, v.path, lastSha]);
        if (delObjs.length) await m.query(`DELETE FROM desired_current WHERE environment = $1 AND object_id = ANY($2::bigint[])`, [name, delObjs]);
      }
      await bulkInsert(m, 'desired_files', [{ name: 'environment', type: 'text' }, { name: 'path', type: 'text' }, { name: 'blob_sha', type: 'text' }],
        setFileRows, 'ON CONFLICT ON CONSTRAINT desired_files_pk DO UPDATE SET blob_sha = EXCLUDED.blob_sha');
      await bulkInsert(m, 'desired_current', [
        { name: 'environment', type: 'text' }, { name: 'object_id', type: 'bigint' }, { name: 'document_hash', type: 'text' }, { name: 'path', type: 'text' }, { name: 'commit_sha', type: 'text' },
      ], setCurrentRows,
        'ON CONFLICT ON CONSTRAINT desired_current_pk DO UPDATE SET document_hash = EXCLUDED.document_hash, path = EXCLUDED.path, commit_sha = EXCLUDED.commit_sha');
      await this.writeRenders(m, renders, entriesChanged);
      await m.query(`UPDATE repositories SET last_indexed_sha = $2, next_seq = $3 WHERE id = $1`, [this.repoId, batchLastSha, seq]);
    });
    this.summary.entryRenders += renders.length;
    this.summary.renderProblems += renders.filter((r) => r.state && r.state.problems.length).length;
    this.objectIds.remember(newIds);
    this.summary.newCommits += commits.length;
    this.summary.fileChanges += fileRows.length;
    this.summary.objectRevisions += revisions.length;
  }

  /** Render records of the batch, and the entries' resumable state as of its last commit. */
  private async writeRenders(m: EntityManager, renders: PendingRender[], entriesChanged: Map<string, Map<string, EntryState | null>>): Promise<void> {
    await bulkInsert(m, 'kustomize_renders', [
      { name: 'environment', type: 'text' }, { name: 'entry', type: 'text' }, { name: 'repository_id', type: 'bigint' },
      { name: 'commit_sha', type: 'text' }, { name: 'commit_seq', type: 'bigint' }, { name: 'source', type: 'text' }, { name: 'renderer', type: 'text' },
      { name: 'status', type: 'text' }, { name: 'objects', type: 'integer' }, { name: 'problems', type: 'jsonb' },
    ], renders.map((r) => {
      const st = r.state;
      const spec = st?.spec;
      const status = !st ? 'removed' : st.problems.length ? 'problems' : 'ok';
      return [r.environment, r.entry, this.repoId, r.commit.sha, r.seq, spec?.source ?? 'config', spec?.renderer ?? 'builtin', status, st?.objects.length ?? 0, JSON.stringify(st?.problems ?? [])];
    }), 'ON CONFLICT ON CONSTRAINT kustomize_renders_uq DO NOTHING');
    const rows: unknown[][] = [];
    for (const [environment, entries] of entriesChanged) {
      const gone = [...entries].filter(([, st]) => st === null).map(([dir]) => dir);
      if (gone.length) await m.query(`DELETE FROM kustomize_entries WHERE environment = $1 AND entry = ANY($2::text[])`, [environment, gone]);
      for (const [dir, st] of entries) {
        if (!st) continue;
        const stored: StoredEntryState = {
          v: 1,
          spec: st.spec,
          closure: st.closure,
          objects: st.objects.map((o) => [o.identity.group, o.identity.kind, o.identity.namespace, o.identity.name, o.hash]),
          refs: st.refs,
          problems: st.problems,
        };
        rows.push([environment, dir, JSON.stringify(stored)]);
      }
    }
    await bulkInsert(m, 'kustomize_entries', [{ name: 'environment', type: 'text' }, { name: 'entry', type: 'text' }, { name: 'state', type: 'jsonb' }], rows,
      'ON CONFLICT ON CONSTRAINT kustomize_entries_pk DO UPDATE SET state = EXCLUDED.state');
  }
}

/** kustomize_entries.state (jsonb, versioned). */
interface StoredEntryState {
  v: 1;
  spec: EntrySpec;
  closure: string[] | null;
  /** [group, kind, namespace, name, document hash] of the last good output. */
  objects: [string, string, string, string, string][];
  refs: EntrySpec[];
  problems: KustomizeProblem[];
}

const FLUX_KUSTOMIZE_GROUP = 'kustomize.toolkit.fluxcd.io';

function isEntryPointKind(id: ObjectIdentity): boolean {
  return (id.kind === 'Kustomization' && id.group === FLUX_KUSTOMIZE_GROUP) || (id.kind === 'Application' && id.group === 'argoproj.io');
}

/**
 * An entry's state after a render: its closure (with `same`'s set when the closure is the same list),
 * and the output's objects — or, when the render had problems, those of `previous` (its last good ones).
 */
function entryStateOf(spec: EntrySpec, out: Pick<EntryOutput, 'closure' | 'problems' | 'objects' | 'refs'>, same: EntryState | null, previous: EntryState | undefined): EntryState {
  const ok = out.problems.length === 0;
  return {
    spec,
    closure: out.closure,
    closureSet: same?.closure === out.closure && same.closureSet ? same.closureSet : new Set(out.closure),
    objects: ok ? out.objects : (previous?.objects ?? []),
    refs: ok ? out.refs : (previous?.refs ?? []),
    problems: out.problems,
  };
}

/**
 * How many commits the next batch of a render-worker pipeline takes, `read` of `total` being in
 * earlier batches: a quarter batch first, full batches, then the rest split so the last batch is a
 * fifth of one (full batches when `total` was not what the log gives).
 */
export function pipelineBatchSize(read: number, total: number, batchSize: number): number {
  const tail = Math.max(1, Math.ceil(batchSize / 5));
  if (read === 0) return Math.max(1, Math.ceil(batchSize / 4));
  const remaining = total - read;
  if (remaining > batchSize + tail || remaining <= tail) return batchSize;
  return remaining - tail;
}

/** The rendering state an environment starts with: its configured entries, nothing rendered yet. */
function renderStateFor(spec: EnvironmentConfig): RenderState | null {
  if (spec.render === 'plain') return null;
  const configured: EntrySpec[] = [];
  for (const e of spec.entries) {
    const dir = normalizePath(e);
    if (dir === null) continue;
    configured.push({ dir, source: 'config', renderer: spec.renderer, loadRestrictions: 'rootOnly', missingKustomization: 'problem' });
  }
  const entries = new Map<string, EntryState>();
  if (spec.render === 'kustomize') for (const c of configured) if (!entries.has(c.dir)) entries.set(c.dir, { spec: c, closure: null, closureSet: null, objects: [], refs: [], problems: [] });
  return { mode: spec.render, configured, entries, fileRefs: new Map() };
}

/** Blobs parsed / commits applied between two turns of the event loop while a transaction runs. */
const YIELD_EVERY = 32;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function cacheKey(sha: string, ns: string): string {
  return `${sha}\0${ns}`;
}

function fileRow(repoId: number, sha: string, fc: FileChange): unknown[] {
  return [repoId, sha, fc.path, fc.status, fc.oldPath ?? null, fc.oldBlob, fc.newBlob, fc.newMode];
}
