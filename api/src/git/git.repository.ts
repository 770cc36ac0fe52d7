import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface RepositoryRow {
  id: number;
  name: string;
  branch: string;
  source: string;
  head_sha: string | null;
  last_indexed_sha: string | null;
  last_indexed_at: Date | null;
  last_fetch_at: Date | null;
  last_error: string | null;
  commits: number;
  unreachable: number;
  parse_errors: number;
  head_committed_at: Date | null;
}

export interface CommitRow {
  repository: string;
  sha: string;
  seq: number;
  parents: string[];
  first_parent: boolean;
  author_name: string;
  author_email: string;
  authored_at: Date;
  author_tz: string;
  committer_name: string;
  committer_email: string;
  committed_at: Date;
  committer_tz: string;
  subject: string;
  message: string;
  pr_number: number | null;
  pr_kind: string | null;
  co_authors: { name: string; email: string }[];
  reachable: boolean;
}

export interface CommitFilter {
  repositoryIds?: number[];
  /** Commits that changed the environment: a desired revision, or a file under one of its path prefixes. */
  environment?: { name: string; prefixes: string[] } | null;
  path?: string;
  author?: string;
  from?: Date;
  to?: Date;
  cursor?: { committedAt: string; seq: number } | null;
  limit: number;
  includeUnreachable?: boolean;
}

export interface DesiredObjectRow {
  object_id: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  document_hash: string;
  path: string;
  commit_sha: string;
  committed_at: Date;
  body?: Record<string, unknown>;
}

export interface RenderRow {
  entry: string;
  source: string;
  renderer: string;
  status: string;
  objects: number;
  problems: { file: string; field: string; message: string; code: string }[];
  commit_sha: string;
  committed_at: Date;
}

/** Hand-written SQL for the git context's reads; every hot one is checked with EXPLAIN in tests. */
@Injectable()
export class GitRepository {
  constructor(private readonly ds: DataSource) {}

  listRepositories(): Promise<RepositoryRow[]> {
    return this.ds.query(`
      SELECT r.id::int, r.name, r.branch, r.source, r.head_sha, r.last_indexed_sha, r.last_indexed_at, r.last_fetch_at, r.last_error,
             (SELECT count(*)::int FROM commits c WHERE c.repository_id = r.id AND c.reachable) AS commits,
             (SELECT count(*)::int FROM commits c WHERE c.repository_id = r.id AND NOT c.reachable) AS unreachable,
             (SELECT count(DISTINCT b.sha)::int FROM file_changes f JOIN blobs b ON b.sha = f.new_blob AND b.status = 'error' WHERE f.repository_id = r.id) AS parse_errors,
             (SELECT c.committed_at FROM commits c WHERE c.repository_id = r.id AND c.sha = r.head_sha) AS head_committed_at
        FROM repositories r ORDER BY r.name`);
  }

  async repositoryIdByName(name: string): Promise<number | null> {
    const rows = await this.ds.query(`SELECT id::int FROM repositories WHERE name = $1`, [name]);
    return rows[0]?.id ?? null;
  }

  /** Commits newest first, keyset-paged by (committed_at, seq). */
  async findCommits(f: CommitFilter): Promise<CommitRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    if (f.repositoryIds) where.push(`c.repository_id = ANY(${p(f.repositoryIds)}::bigint[])`);
    if (!f.includeUnreachable) where.push('c.reachable');
    if (f.author) where.push(`(c.author_email ILIKE ${p('%' + f.author + '%')} OR c.author_name ILIKE ${p('%' + f.author + '%')})`);
    if (f.from) where.push(`c.committed_at >= ${p(f.from)}`);
    if (f.to) where.push(`c.committed_at <= ${p(f.to)}`);
    if (f.path) where.push(`EXISTS (SELECT 1 FROM file_changes fc WHERE fc.repository_id = c.repository_id AND fc.commit_sha = c.sha AND (fc.path LIKE ${p(likePrefix(f.path))} OR fc.old_path LIKE ${p(likePrefix(f.path))}))`);
    if (f.environment) {
      where.push(
        `(EXISTS (SELECT 1 FROM desired_revisions dr WHERE dr.repository_id = c.repository_id AND dr.commit_sha = c.sha AND dr.environment = ${p(f.environment.name)})` +
          ` OR EXISTS (SELECT 1 FROM file_changes fc WHERE fc.repository_id = c.repository_id AND fc.commit_sha = c.sha AND fc.path LIKE ANY(${p(f.environment.prefixes.map(likePrefix))}::text[])))`,
      );
    }
    if (f.cursor) where.push(`(c.committed_at, c.seq) < (${p(f.cursor.committedAt)}::timestamptz, ${p(f.cursor.seq)}::bigint)`);
    const sql = `
      SELECT r.name AS repository, c.sha, c.seq::int, c.parents, c.first_parent, c.author_name, c.author_email, c.authored_at, c.author_tz,
             c.committer_name, c.committer_email, c.committed_at, c.committer_tz, c.subject, c.message, c.pr_number, c.pr_kind, c.co_authors, c.reachable
        FROM commits c JOIN repositories r ON r.id = c.repository_id
       ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       ORDER BY c.committed_at DESC, c.seq DESC
       LIMIT ${p(f.limit + 1)}`;
    return this.ds.query(sql, params);
  }

  async findCommit(sha: string): Promise<(CommitRow & { repository_id: number }) | null> {
    const rows = await this.ds.query(
      `SELECT r.name AS repository, c.repository_id::int, c.sha, c.seq::int, c.parents, c.first_parent, c.author_name, c.author_email, c.authored_at, c.author_tz,
              c.committer_name, c.committer_email, c.committed_at, c.committer_tz, c.subject, c.message, c.pr_number, c.pr_kind, c.co_authors, c.reachable
         FROM commits c JOIN repositories r ON r.id = c.repository_id
        WHERE c.sha = $1 OR (length($1) BETWEEN 7 AND 39 AND c.sha LIKE $1 || '%')
        ORDER BY (c.sha = $1) DESC LIMIT 2`,
      [sha],
    );
    if (rows.length > 1 && rows[0].sha !== sha) return null; // ambiguous abbreviation
    return rows[0] ?? null;
  }

  fileChanges(repositoryId: number, sha: string): Promise<{ path: string; status: string; old_path: string | null; old_blob: string | null; new_blob: string | null; blob_status: string | null; reason_code: string | null; reason: string | null }[]> {
    return this.ds.query(
      `SELECT f.path, f.status, f.old_path, f.old_blob, f.new_blob, b.status AS blob_status, b.reason_code, b.reason
         FROM file_changes f LEFT JOIN blobs b ON b.sha = f.new_blob
        WHERE f.repository_id = $1 AND f.commit_sha = $2 ORDER BY f.path`,
      [repositoryId, sha],
    );
  }

  /** Desired revisions a commit made, each with the object's previous document in that environment. */
  commitRevisions(repositoryId: number, sha: string): Promise<{ environment: string; object_id: number; group: string; kind: string; namespace: string; name: string; change: string; path: string; document_hash: string | null; previous_hash: string | null }[]> {
    return this.ds.query(
      `SELECT dr.environment, dr.object_id::int, o."group", o.kind, o.namespace, o.name, dr.change, dr.path, dr.document_hash,
              (SELECT p.document_hash FROM desired_revisions p JOIN commits pc ON pc.repository_id = p.repository_id AND pc.sha = p.commit_sha AND pc.reachable
                WHERE p.environment = dr.environment AND p.object_id = dr.object_id AND p.commit_seq < dr.commit_seq
                ORDER BY p.commit_seq DESC LIMIT 1) AS previous_hash
         FROM desired_revisions dr JOIN objects o ON o.id = dr.object_id
        WHERE dr.repository_id = $1 AND dr.commit_sha = $2
        ORDER BY dr.environment, o.kind, o.namespace, o.name`,
      [repositoryId, sha],
    );
  }

  /** The first-parent commit that defines the desired state at a time: the newest reachable one committed at or before it. */
  async commitAt(repositoryId: number, at: Date): Promise<{ sha: string; seq: number; committed_at: Date } | null> {
    const rows = await this.ds.query(
      `SELECT sha, seq::int, committed_at FROM commits
        WHERE repository_id = $1 AND reachable AND first_parent AND committed_at <= $2
        ORDER BY seq DESC LIMIT 1`,
      [repositoryId, at],
    );
    return rows[0] ?? null;
  }

  /**
   * Desired state of an environment as of a commit sequence number: for each
   * object, its newest revision on reachable history at or before that commit,
   * unless that revision deleted it.
   */
  desiredAt(environment: string, repositoryId: number, seq: number, withBodies: boolean): Promise<DesiredObjectRow[]> {
    return this.ds.query(
      `SELECT s.object_id::int, o."group", o.kind, o.namespace, o.name, s.document_hash, s.path, s.commit_sha, s.committed_at ${withBodies ? ', d.body' : ''}
         FROM (SELECT DISTINCT ON (dr.object_id) dr.object_id, dr.document_hash, dr.path, dr.commit_sha, dr.committed_at
                 FROM desired_revisions dr
                 JOIN commits c ON c.repository_id = dr.repository_id AND c.sha = dr.commit_sha AND c.reachable
                WHERE dr.environment = $1 AND dr.repository_id = $2 AND dr.commit_seq <= $3
                ORDER BY dr.object_id, dr.commit_seq DESC) s
         JOIN objects o ON o.id = s.object_id
         ${withBodies ? 'JOIN documents d ON d.hash = s.document_hash' : ''}
        WHERE s.document_hash IS NOT NULL
        ORDER BY o.kind, o.namespace, o.name`,
      [environment, repositoryId, seq],
    );
  }

  /**
   * The entries of a rendering environment in effect at a commit: for each
   * entry directory its newest render record on reachable history at or
   * before that commit, unless that record removed the entry.
   */
  rendersAt(environment: string, repositoryId: number, seq: number): Promise<RenderRow[]> {
    return this.ds.query(
      `SELECT * FROM (
         SELECT DISTINCT ON (kr.entry) kr.entry, kr.source, kr.renderer, kr.status, kr.objects, kr.problems, kr.commit_sha, c.committed_at
           FROM kustomize_renders kr
           JOIN commits c ON c.repository_id = kr.repository_id AND c.sha = kr.commit_sha AND c.reachable
          WHERE kr.environment = $1 AND kr.repository_id = $2 AND kr.commit_seq <= $3
          ORDER BY kr.entry, kr.commit_seq DESC) s
        WHERE s.status <> 'removed'
        ORDER BY s.entry`,
      [environment, repositoryId, seq],
    );
  }

  /** Render records a commit made, every environment. */
  commitRenders(repositoryId: number, sha: string): Promise<(RenderRow & { environment: string })[]> {
    return this.ds.query(
      `SELECT kr.environment, kr.entry, kr.source, kr.renderer, kr.status, kr.objects, kr.problems, kr.commit_sha, c.committed_at
         FROM kustomize_renders kr JOIN commits c ON c.repository_id = kr.repository_id AND c.sha = kr.commit_sha
        WHERE kr.repository_id = $1 AND kr.commit_sha = $2
        ORDER BY kr.environment, kr.entry`,
      [repositoryId, sha],
    );
  }

  blobProblems(repositoryId: number, limit: number): Promise<{ path: string; commit_sha: string; blob_sha: string; status: string; reason_code: string; reason: string }[]> {
    return this.ds.query(
      `SELECT DISTINCT ON (b.sha) f.path, f.commit_sha, b.sha AS blob_sha, b.status, b.reason_code, b.reason
         FROM blobs b JOIN file_changes f ON f.new_blob = b.sha AND f.repository_id = $1
        WHERE b.status IN ('error', 'skipped')
        ORDER BY b.sha LIMIT $2`,
      [repositoryId, limit],
    );
  }
}

function likePrefix(path: string): string {
  return path.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}
