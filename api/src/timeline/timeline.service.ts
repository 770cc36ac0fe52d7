import { Injectable } from '@nestjs/common';
import { compileCompareOptions, ManagerClass } from '../core/drift';
import { DomainError } from '../common/errors';
import { DriftEngineService } from '../drift/drift-engine.service';
import { TimelineFilter, TimelineRepository } from './timeline.repository';
import { globToLike } from '../store/environment-scope';

export type Lane = 'git' | 'live' | 'drift';

export interface TimelineEvent {
  /** Stable key: g<desired revision id>, l<live revision id>, o<interval id> (opened), c<interval id> (closed). */
  key: string;
  lane: Lane;
  at: string;
  objectId: number;
  group: string;
  kind: string;
  namespace: string;
  name: string;
  /** created | configured | deleted (git, live); opened | closed (drift). */
  change: string;
  /** Who: the commit author (git), the field manager (live), what opened/closed it (drift). */
  actor: string | null;
  /** live only: applier | human | controller | unknown, for colouring. */
  actorClass?: ManagerClass;
  commit?: { sha: string; subject: string; pullRequest: number | null; authorEmail: string };
  path?: string;
  revisionId?: number;
  operation?: string | null;
  changedAt?: string;
  drift?: { intervalId: number; type: string; summary: string; openedAt: string; closedAt: string | null };
}

export interface TimelineQuery {
  from: string;
  to: string;
  lanes?: Lane[];
  kind?: string;
  namespace?: string;
  name?: string;
  author?: string;
  manager?: string;
  change?: string;
  cursor?: string;
  limit: number;
}

const MAX_WINDOW_MS = 400 * 86_400_000;

/** The merged event stream of an environment: Git, live and drift lanes on one time axis. */
@Injectable()
export class TimelineService {
  /** Compiled manager/ignore rules per environment's options (picomatch compiles are not free per request). */
  private readonly compiled = new WeakMap<object, ReturnType<typeof compileCompareOptions>>();

  constructor(
    private readonly repo: TimelineRepository,
    private readonly engine: DriftEngineService,
  ) {}

  private async filter(envName: string, q: Omit<TimelineQuery, 'limit' | 'cursor' | 'lanes'> & { limit: number; unbounded?: boolean }): Promise<{ f: TimelineFilter; classify: (m: string) => ManagerClass }> {
    if (!this.engine.environments().some((e) => e.name === envName)) throw new DomainError('environment.not_found', `environment "${envName}" was not found`, 404);
    const ctx = await this.engine.context(envName);
    const from = new Date(q.from);
    const to = new Date(q.to);
    if (!(from < to)) throw new DomainError('timeline.bad_range', '`from` must be before `to`', 400);
    if (!q.unbounded && to.getTime() - from.getTime() > MAX_WINDOW_MS) throw new DomainError('timeline.window_too_large', 'the window may span at most 400 days', 400);
    let compiled = this.compiled.get(ctx.options);
    if (!compiled) this.compiled.set(ctx.options, (compiled = compileCompareOptions(ctx.options)));
    return {
      f: {
        environment: envName,
        repoId: ctx.repoId,
        clusterId: ctx.clusterId,
        namespacePatterns: ctx.env.namespaces.map(globToLike),
        from,
        to,
        kind: q.kind,
        namespace: q.namespace,
        name: q.name,
        author: q.author,
        manager: q.manager,
        change: q.change,
        limit: q.limit,
      },
      classify: (m) => compiled.classify(m),
    };
  }

  async window(envName: string, q: TimelineQuery) {
    const { f, classify } = await this.filter(envName, q);
    if (q.cursor) f.before = decodeCursor(q.cursor);
    const lanes = new Set<Lane>(q.lanes?.length ? q.lanes : ['git', 'live', 'drift']);
    const { events, counts } = await this.collect(f, lanes, classify, true);
    const page = events.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      environment: envName,
      from: f.from.toISOString(),
      to: f.to.toISOString(),
      counts: { git: lanes.has('git') ? counts!.git : 0, live: lanes.has('live') ? counts!.live : 0, drift: lanes.has('drift') ? counts!.drift : 0 },
      events: page,
      nextCursor: events.length > q.limit && last ? encodeCursor(last) : null,
    };
  }

  /** Events newer than the given ids (for the live stream), oldest first. */
  async since(envName: string, after: { desired: number; live: number; drift: number }, q: Omit<TimelineQuery, 'from' | 'to' | 'limit' | 'cursor'>) {
    // The stream reads by id, not by window: any time is fine.
    const { f, classify } = await this.filter(envName, { ...q, from: new Date(0).toISOString(), to: new Date(Date.now() + 86_400_000).toISOString(), limit: 500, unbounded: true });
    f.after = after;
    const { events } = await this.collect(f, new Set<Lane>(q.lanes?.length ? q.lanes : ['git', 'live', 'drift']), classify, false);
    return events.reverse();
  }

  async heads(envName: string) {
    const ctx = await this.engine.context(envName);
    return this.repo.maxIds({ environment: envName, clusterId: ctx.clusterId });
  }

  private async collect(f: TimelineFilter, lanes: Set<Lane>, classify: (m: string) => ManagerClass, withCounts: boolean) {
    const { git, live, drift, counts } = await this.repo.window({ ...f, limit: f.limit + 1 }, { git: lanes.has('git'), live: lanes.has('live'), drift: lanes.has('drift') }, { counts: withCounts });
    const events: TimelineEvent[] = [];
    for (const r of git) {
      events.push({
        key: 'g' + pad(r.id), lane: 'git', at: r.at.toISOString(), objectId: r.object_id, group: r.group, kind: r.kind, namespace: r.namespace, name: r.name,
        change: r.change, actor: r.author_name, path: r.path,
        commit: { sha: r.sha, subject: r.subject, pullRequest: r.pr_number, authorEmail: r.author_email },
      });
    }
    for (const r of live) {
      events.push({
        key: 'l' + pad(r.id), lane: 'live', at: r.at.toISOString(), objectId: r.object_id, group: r.group, kind: r.kind, namespace: r.namespace, name: r.name,
        change: r.change, actor: r.manager, actorClass: r.manager ? classify(r.manager) : 'unknown', revisionId: Number(r.id), operation: r.operation,
        changedAt: r.changed_at.toISOString(),
      });
    }
    for (const r of drift) {
      const by = r.by as { source?: string; manager?: string; author?: string; commit?: string } | null;
      events.push({
        key: (r.edge === 'opened' ? 'o' : 'c') + pad(r.id), lane: 'drift', at: r.at.toISOString(), objectId: r.object_id, group: r.group, kind: r.kind,
        namespace: r.namespace, name: r.name, change: r.edge,
        actor: by?.source === 'live' ? (by.manager ?? null) : by?.source === 'git' ? (by.author ?? by.commit ?? null) : null,
        drift: { intervalId: Number(r.id), type: r.type, summary: r.summary, openedAt: r.opened_at.toISOString(), closedAt: r.closed_at?.toISOString() ?? null },
      });
    }
    events.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    return { events, counts };
  }
}

function pad(id: string | number): string {
  return String(id).padStart(20, '0');
}

function encodeCursor(e: TimelineEvent): string {
  return Buffer.from(JSON.stringify([e.at, e.key])).toString('base64url');
}

function decodeCursor(s: string): { at: Date; key: string } {
  try {
    const [at, key] = JSON.parse(Buffer.from(s, 'base64url').toString()) as [string, string];
    if (typeof key !== 'string' || Number.isNaN(Date.parse(at))) throw new Error();
    return { at: new Date(at), key };
  } catch {
    throw new DomainError('cursor.invalid', 'the cursor is not one this API returned', 400);
  }
}
