import { Inject, Injectable } from '@nestjs/common';
import picomatch from 'picomatch';
import { CONFIG } from '../config/config.tokens';
import type { DriftlineConfig, EnvironmentConfig } from '../config/schema';
import { DomainError, notFound } from '../common/errors';
import { loadDocuments } from '../store/documents';
import { DataSource } from 'typeorm';
import { unifiedYamlDiff } from '../core/diff';
import { GitRepository, CommitRow, RenderRow } from './git.repository';
import type { CommitDto, CommitDetailDto, CommitPageDto, DesiredStateDto, EnvironmentRendersDto, RenderedEntryDto, RepositoryStatusDto } from './git.dto';

export interface CommitQuery {
  environment?: string;
  repository?: string;
  path?: string;
  author?: string;
  from?: string;
  to?: string;
  cursor?: string;
  limit: number;
}

/** Reads for the git context's API: repositories, commits, commit detail, desired state at a point. */
@Injectable()
export class GitQueryService {
  constructor(
    private readonly repo: GitRepository,
    private readonly ds: DataSource,
    @Inject(CONFIG) private readonly config: DriftlineConfig,
  ) {}

  environment(name: string): EnvironmentConfig {
    const env = this.config.environments.find((e) => e.name === name);
    if (!env) throw notFound('environment', name);
    return env;
  }

  async repositories(): Promise<RepositoryStatusDto[]> {
    const rows = await this.repo.listRepositories();
    const byName = new Map(rows.map((r) => [r.name, r]));
    return this.config.repositories.map((cfg) => {
      const r = byName.get(cfg.name);
      const lagSeconds = r?.head_sha && r.last_indexed_sha !== r.head_sha && r.head_committed_at ? null : 0;
      return {
        name: cfg.name,
        branch: cfg.branch,
        source: cfg.url ? 'remote' : 'local',
        headSha: r?.head_sha ?? null,
        lastIndexedSha: r?.last_indexed_sha ?? null,
        lastIndexedAt: r?.last_indexed_at?.toISOString() ?? null,
        lastFetchAt: r?.last_fetch_at?.toISOString() ?? null,
        lastError: r?.last_error ?? null,
        commits: r?.commits ?? 0,
        unreachableCommits: r?.unreachable ?? 0,
        parseErrors: r?.parse_errors ?? 0,
        status: !r || !r.last_indexed_at ? 'not-indexed' : r.last_error ? 'error' : r.head_sha === r.last_indexed_sha ? 'up-to-date' : 'behind',
        lagSeconds: r?.last_fetch_at ? Math.max(0, Math.round((Date.now() - r.last_fetch_at.getTime()) / 1000)) : lagSeconds,
      };
    });
  }

  async commits(q: CommitQuery): Promise<CommitPageDto> {
    let repositoryIds: number[] | undefined;
    let environment: { name: string; prefixes: string[] } | null = null;
    if (q.environment) {
      const env = this.environment(q.environment);
      const id = await this.repo.repositoryIdByName(env.repository);
      repositoryIds = id === null ? [] : [id];
      environment = { name: env.name, prefixes: env.paths.map((g) => picomatch.scan(g).base).map((b) => (b ? b.replace(/\/?$/, '/') : '')) };
    }
    if (q.repository) {
      const id = await this.repo.repositoryIdByName(q.repository);
      if (id === null) throw notFound('repository', q.repository);
      repositoryIds = [id];
    }
    const rows = await this.repo.findCommits({
      repositoryIds,
      environment,
      path: q.path,
      author: q.author,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      cursor: q.cursor ? decodeCursor(q.cursor) : null,
      limit: q.limit,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toCommitDto),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
    };
  }

  async commit(sha: string): Promise<CommitDetailDto> {
    if (!/^[0-9a-f]{7,64}$/.test(sha)) throw new DomainError('commit.bad_sha', `"${sha}" is not a commit id (7 to 64 hex characters)`, 400);
    const c = await this.repo.findCommit(sha);
    if (!c) throw notFound('commit', sha);
    const [files, revisions, renders] = await Promise.all([
      this.repo.fileChanges(c.repository_id, c.sha),
      this.repo.commitRevisions(c.repository_id, c.sha),
      this.repo.commitRenders(c.repository_id, c.sha),
    ]);
    const rendered = new Map<string, RenderedEntryDto[]>();
    for (const r of renders) {
      const list = rendered.get(r.environment) ?? [];
      list.push(toRenderedEntry(r));
      rendered.set(r.environment, list);
    }
    const docs = await loadDocuments(this.ds, revisions.flatMap((r) => [r.document_hash, r.previous_hash]).filter((h): h is string => !!h));
    const envs = new Map<string, CommitDetailDto['environments'][number]>();
    for (const r of revisions) {
      let env = envs.get(r.environment);
      if (!env) envs.set(r.environment, (env = { environment: r.environment, objects: [] }));
      const before = r.previous_hash ? docs.get(r.previous_hash) ?? null : null;
      const after = r.document_hash ? docs.get(r.document_hash) ?? null : null;
      env.objects.push({
        objectId: r.object_id,
        group: r.group,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        change: r.change,
        path: r.path,
        diff: unifiedYamlDiff(before, after, { labelA: 'before', labelB: 'after' }),
      });
    }
    return {
      ...toCommitDto(c),
      message: c.message,
      files: files.map((f) => ({
        path: f.path,
        status: f.status,
        oldPath: f.old_path,
        blob: f.new_blob,
        parse: f.blob_status ? { status: f.blob_status, reasonCode: f.reason_code, reason: f.reason } : null,
      })),
      environments: [...envs.values()],
      renders: [...rendered].map(([environment, entries]) => ({ environment, entries })),
    };
  }

  /** The first-parent commit that defines an environment's desired state at a time or a commit (now when neither is given). */
  private async pointFor(env: EnvironmentConfig, q: { at?: string; commit?: string }): Promise<{ repoId: number; point: { sha: string; seq: number; committed_at: Date } | null }> {
    if (q.at && q.commit) throw new DomainError('desired.ambiguous', 'give either at or commit, not both', 400);
    const repoId = await this.repo.repositoryIdByName(env.repository);
    if (repoId === null) throw new DomainError('repository.not_indexed', `repository "${env.repository}" has not been indexed yet`, 409);
    if (q.commit) {
      const c = await this.repo.findCommit(q.commit);
      if (!c || c.repository.toString() !== env.repository) throw notFound('commit', q.commit);
      if (!c.first_parent) throw new DomainError('commit.not_on_branch', `commit ${c.sha.slice(0, 12)} came in through a merge; the desired state is defined at the merge commit on ${env.repository}'s branch`, 422);
      return { repoId, point: { sha: c.sha, seq: c.seq, committed_at: c.committed_at } };
    }
    return { repoId, point: await this.repo.commitAt(repoId, q.at ? new Date(q.at) : new Date()) };
  }

  /** The entries a rendering environment had in effect at a time or a commit, each as of its last render, with problems. */
  async renders(envName: string, q: { at?: string; commit?: string }): Promise<EnvironmentRendersDto> {
    const env = this.environment(envName);
    const empty = { environment: env.name, render: env.render, commit: null, committedAt: null, entries: [], problemCount: 0 };
    if (env.render === 'plain') return empty;
    const { repoId, point } = await this.pointFor(env, q);
    if (!point) return empty;
    const entries = (await this.repo.rendersAt(env.name, repoId, point.seq)).map(toRenderedEntry);
    return {
      environment: env.name,
      render: env.render,
      commit: point.sha,
      committedAt: point.committed_at.toISOString(),
      entries,
      problemCount: entries.reduce((n, e) => n + e.problems.length, 0),
    };
  }

  /** The full desired state of an environment at a time or a commit. */
  async desired(envName: string, q: { at?: string; commit?: string }): Promise<DesiredStateDto> {
    const env = this.environment(envName);
    const { repoId, point } = await this.pointFor(env, q);
    if (!point) return { environment: env.name, commit: null, committedAt: null, objects: [] };
    const rows = await this.repo.desiredAt(env.name, repoId, point.seq, true);
    return {
      environment: env.name,
      commit: point.sha,
      committedAt: point.committed_at.toISOString(),
      objects: rows.map((r) => ({
        objectId: r.object_id,
        group: r.group,
        kind: r.kind,
        namespace: r.namespace,
        name: r.name,
        path: r.path,
        commit: r.commit_sha,
        hash: r.document_hash,
        body: r.body!,
      })),
    };
  }

  async problems(name: string, limit: number) {
    const id = await this.repo.repositoryIdByName(name);
    if (id === null) throw notFound('repository', name);
    return (await this.repo.blobProblems(id, limit)).map((p) => ({ path: p.path, commit: p.commit_sha, blob: p.blob_sha, status: p.status, reasonCode: p.reason_code, reason: p.reason }));
  }
}

function toRenderedEntry(r: RenderRow): RenderedEntryDto {
  return {
    entry: r.entry,
    source: r.source,
    renderer: r.renderer,
    status: r.status,
    commit: r.commit_sha,
    committedAt: r.committed_at.toISOString(),
    objects: r.objects,
    problems: r.problems.map((p) => ({ file: p.file, field: p.field, message: p.message, code: p.code })),
  };
}

function toCommitDto(c: CommitRow): CommitDto {
  return {
    repository: c.repository,
    sha: c.sha,
    parents: c.parents,
    subject: c.subject,
    author: { name: c.author_name, email: c.author_email, time: c.authored_at.toISOString(), tz: c.author_tz },
    committer: { name: c.committer_name, email: c.committer_email, time: c.committed_at.toISOString(), tz: c.committer_tz },
    pullRequest: c.pr_number ? { number: c.pr_number, kind: c.pr_kind ?? 'github-pr' } : null,
    coAuthors: c.co_authors,
    onBranch: c.first_parent,
    reachable: c.reachable,
  };
}

function encodeCursor(c: CommitRow): string {
  return Buffer.from(JSON.stringify([c.committed_at.toISOString(), c.seq])).toString('base64url');
}

function decodeCursor(s: string): { committedAt: string; seq: number } {
  try {
    const [committedAt, seq] = JSON.parse(Buffer.from(s, 'base64url').toString()) as [string, number];
    if (typeof committedAt !== 'string' || !Number.isInteger(seq)) throw new Error();
    return { committedAt, seq };
  } catch {
    throw new DomainError('cursor.invalid', 'the cursor is not one this API returned', 400);
  }
}
