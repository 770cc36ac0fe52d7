import type { Logger } from 'pino';
import { Backoff, sleep } from './backoff';
import { collectionPath, type ApiResource } from './discovery';
import { KubeApiError, watchStatusError, type KubeClient, type OpenWatch, type WatchEvent } from './kube-client';
import { identityOf, metadataOf, type LiveSource } from './live-object';
import type { LiveObserver } from './live-state';
import type { KindStatus, LiveWriter } from './live-writer';

export interface KindWatcherOptions {
  /** Items per list page (limit/continue). Default 500. */
  pageSize: number;
  /** Full relist every this often (± 10%), reconciled against the recorded state. */
  resyncMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Server-side watch timeout range in seconds (a random value per watch, as client-go does). */
  watchTimeoutSeconds: [number, number];
  /** Backpressure: list pages wait while the writer holds this many unwritten revisions. */
  highWater: number;
  /**
   * A watch pauses when the writer holds this many unwritten revisions (the
   * database is slow): it closes, and resumes from its resourceVersion once the
   * writer is down to highWater/2, so memory stays bounded. Generous, because a
   * pause longer than the server's watch history ends in a relist, which records
   * the final state of each object but not the states in between.
   */
  maxPending: number;
  requestTimeoutMs: number;
}

export const DEFAULT_KIND_WATCHER_OPTIONS: Omit<KindWatcherOptions, 'resyncMs'> = {
  pageSize: 500,
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  watchTimeoutSeconds: [300, 600],
  highWater: 2_000,
  maxPending: 20_000,
  requestTimeoutMs: 60_000,
};

export interface KindWatcherContext {
  cluster: string;
  client: KubeClient;
  resource: ApiResource;
  observer: LiveObserver;
  writer: LiveWriter;
  logger: Logger;
  options: KindWatcherOptions;
  /** The API server answered (true) or could not be reached (false). */
  onReachability?: (reachable: boolean, error: string | null) => void;
}

type WatchOutcome =
  | { outcome: 'expired' | 'resync' | 'stopped' | 'paused'; rv: string }
  | { outcome: 'ended'; rv: string; durationMs: number; events: number }
  | { outcome: 'error'; rv: string; error: KubeApiError; since: Date };

export interface ListResult {
  resourceVersion: string;
  objects: number;
  deleted: number;
  restarts: number;
}

class Stopped extends Error {}

/**
 * List + watch of one kind across the cluster, with its own list loop rather
 * than client-node's informer (which stops for good after a non-410 error and
 * never asks for bookmarks):
 *  - paged list (limit/continue); a 410 on a continue token restarts the list;
 *  - watch from the list's resourceVersion with allowWatchBookmarks; bookmarks
 *    and events move the resourceVersion on; a clean end resumes from it;
 *  - ERROR 410 (Expired/Gone) → relist and reconcile against the recorded state;
 *  - any other failure (list error, 403/404, timeout, dropped stream) opens a gap
 *    for the kind and retries with exponential backoff and jitter (Retry-After
 *    honoured); the gap closes when the kind is observed again. Nothing is ever
 *    called deleted because of a failure: deletions come only from DELETED
 *    events and from complete lists.
 */
export class KindWatcher {
  readonly status: KindStatus;
  private stopped = false;
  private readonly abort = new AbortController();
  private current: OpenWatch | null = null;
  private loopDone: Promise<void> | null = null;
  private gapOpen = false;
  private resyncRequested = false;
  private lastStatusPush = 0;
  private trailing: NodeJS.Timeout | null = null;
  private readonly path: string;
  private readonly log: Logger;
  /** Set when the watcher gave up on an unexpected error (a bug, not an outage). */
  crashed: Error | null = null;

  constructor(private readonly ctx: KindWatcherContext) {
    const r = ctx.resource;
    this.path = collectionPath(r);
    this.log = ctx.logger.child({ cluster: ctx.cluster, kind: `${r.group}/${r.kind}` });
    this.status = {
      group: r.group,
      version: r.version,
      kind: r.kind,
      plural: r.plural,
      namespaced: r.namespaced,
      watched: true,
      status: 'pending',
      lastError: null,
      resourceVersion: null,
      lastListAt: null,
      lastEventAt: null,
    };
  }

  get resource(): ApiResource {
    return this.ctx.resource;
  }

  get inGap(): boolean {
    return this.gapOpen;
  }

  start(): void {
    this.pushStatus();
    this.loopDone = this.loop().catch((e) => {
      this.crashed = e as Error;
      this.log.error({ err: (e as Error).message }, 'kind watcher stopped on an unexpected error');
    });
  }

  /**
   * Stops watching. With `gapReason`, records a gap from now (the kind is no
   * longer observed); `unwatched` marks the kind as no longer wanted.
   */
  async stop(o: { gapReason?: string; unwatched?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.current?.abort();
    await this.loopDone;
    if (this.trailing) clearTimeout(this.trailing);
    this.status.status = 'stopped';
    if (o.unwatched) this.status.watched = false;
    if (o.gapReason && !this.gapOpen) {
      this.gapOpen = true;
      this.ctx.writer.openGap(this.status.group, this.status.kind, new Date(), o.gapReason);
    }
    this.pushStatus();
  }

  /** Ask for a full relist now (the watch is closed and reopened after it). */
  resync(): void {
    this.resyncRequested = true;
    this.current?.abort();
  }

  /**
   * One complete list, reconciled against the recorded state (snapshot mode).
   * A failure records a gap for the kind and is thrown.
   */
  async listOnce(source: LiveSource): Promise<ListResult> {
    this.setStatus('listing');
    try {
      const r = await this.list(source);
      this.observed();
      this.setStatus('listed');
      return r;
    } catch (e) {
      const err = asKubeError(e);
      this.openGap(new Date(), `list failed: ${err.message}`);
      this.ctx.onReachability?.(err.status !== 0, err.message);
      throw err;
    }
  }

  private async loop(): Promise<void> {
    const o = this.ctx.options;
    const backoff = new Backoff(o.backoffBaseMs, o.backoffMaxMs);
    let rv: string | null = null;
    let first = true;
    let nextResyncAt = 0;
    while (!this.stopped) {
      if (rv === null) {
        try {
          if (!this.gapOpen) this.setStatus('listing'); // while retrying after a failure the kind stays in 'error'
          const r = await this.list(first ? 'list' : 'relist');
          first = false;
          rv = r.resourceVersion;
          this.observed();
          backoff.reset();
          nextResyncAt = Date.now() + o.resyncMs * (0.9 + Math.random() * 0.2);
        } catch (e) {
          if (e instanceof Stopped || this.stopped) break;
          const err = asKubeError(e);
          this.openGap(new Date(), `list failed: ${err.message}`);
          this.ctx.onReachability?.(err.status !== 0, err.message);
          const delay = backoff.next(err.retryAfterMs);
          this.log.warn({ err: err.message, retryInMs: delay }, 'list failed; retrying');
          await sleep(delay, this.abort.signal);
          continue;
        }
      }
      const w = await this.watchOnce(rv, nextResyncAt);
      rv = w.rv;
      switch (w.outcome) {
        case 'stopped':
          return;
        case 'expired':
          this.log.info({ resourceVersion: rv }, 'watch expired (410); relisting');
          rv = null;
          continue;
        case 'resync':
          rv = null;
          continue;
        case 'paused':
          // The database is behind: let the writer catch up, then resume from rv (nothing is lost).
          await this.ctx.writer.waitBelow(Math.ceil(o.highWater / 2), this.abort.signal);
          continue;
        case 'ended':
          // The server ended the watch (its timeout) or it was quiet for too long: resume from rv.
          // A watch that ends at once, again and again, is a failure in disguise: slow down.
          if (w.durationMs < 1000 && w.events === 0) await sleep(backoff.next(), this.abort.signal);
          else backoff.reset();
          continue;
        case 'error': {
          this.openGap(w.since, `${w.error.status === 0 ? 'stream dropped' : 'watch failed'}: ${w.error.message}`);
          this.ctx.onReachability?.(w.error.status !== 0, w.error.message);
          const delay = backoff.next(w.error.retryAfterMs);
          this.log.warn({ err: w.error.message, retryInMs: delay }, 'watch failed; retrying');
          await sleep(delay, this.abort.signal);
          continue;
        }
      }
    }
  }

  /** A complete paged list: every item observed, then the kind reconciled (missing objects deleted). */
  private async list(source: LiveSource): Promise<ListResult> {
    const o = this.ctx.options;
    const r = this.ctx.resource;
    for (let restarts = 0; ; restarts++) {
      const seen = new Set<string>();
      let cont: string | undefined;
      let rv: string | null = null;
      try {
        do {
          const page = await this.ctx.client.get<{ metadata?: { resourceVersion?: string; continue?: string }; items?: Record<string, unknown>[] }>(
            this.path,
            { limit: o.pageSize, continue: cont },
            o.requestTimeoutMs,
          );
          if (this.stopped) throw new Stopped();
          const at = new Date();
          rv ??= page.metadata?.resourceVersion ?? null;
          for (const item of page.items ?? []) {
            const id = identityOf(r, item);
            if (!id) continue;
            seen.add(`${id.namespace}/${id.name}`);
            this.ctx.observer.upsert(r, item, source, at);
          }
          cont = page.metadata?.continue || undefined;
          this.ctx.onReachability?.(true, null);
          await this.ctx.writer.waitBelow(o.highWater, this.abort.signal);
        } while (cont);
      } catch (e) {
        if (e instanceof KubeApiError && e.expired && cont !== undefined && restarts < 10) {
          // The continue token outlived the server's history: start the list again (what was seen is still true).
          this.log.info({ restarts: restarts + 1 }, 'list continue token expired (410); restarting the list');
          continue;
        }
        throw e;
      }
      if (this.stopped) throw new Stopped();
      const at = new Date();
      const deleted = this.ctx.observer.reconcile(r, seen, source, at);
      this.status.lastListAt = at;
      this.status.resourceVersion = rv;
      return { resourceVersion: rv ?? '', objects: seen.size, deleted, restarts };
    }
  }

  private async watchOnce(rv: string, nextResyncAt: number): Promise<WatchOutcome> {
    const o = this.ctx.options;
    const r = this.ctx.resource;
    const [lo, hi] = o.watchTimeoutSeconds;
    const timeoutSeconds = Math.round(lo + Math.random() * Math.max(0, hi - lo));
    let latest = rv;
    let errorEvent: KubeApiError | null = null;
    let handle: OpenWatch | null = null;
    let discard = false;
    let paused = false;
    let events = 0;
    const stopStream = () => {
      discard = true;
      handle?.abort();
    };
    const started = Date.now();
    this.resyncRequested = false;
    let w: OpenWatch;
    try {
      w = await this.ctx.client.watch(this.path, { allowWatchBookmarks: true, resourceVersion: rv, timeoutSeconds }, (ev: WatchEvent) => {
        if (discard) return;
        if (ev.type === 'ERROR') {
          errorEvent = watchStatusError(this.path, ev.object);
          stopStream();
          return;
        }
        const evRv = metadataOf(ev.object).resourceVersion;
        if (ev.type === 'BOOKMARK') {
          if (evRv) latest = evRv;
          this.status.resourceVersion = latest;
          this.pushStatusThrottled();
          return;
        }
        const at = new Date();
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.ctx.observer.upsert(r, ev.object, 'watch', at);
        else if (ev.type === 'DELETED') this.ctx.observer.remove(r, ev.object, 'watch', at);
        else return;
        events++;
        if (evRv) latest = evRv;
        this.status.resourceVersion = latest;
        this.status.lastEventAt = at;
        this.ctx.writer.eventSeen(at);
        this.pushStatusThrottled();
        if (this.ctx.writer.pending >= o.maxPending) {
          paused = true;
          stopStream();
        }
      });
    } catch (e) {
      return { outcome: 'error', rv, error: asKubeError(e), since: new Date() };
    }
    handle = w;
    if (discard) w.abort();
    this.current = w;
    if (this.stopped) w.abort();
    if (w.established) {
      this.ctx.onReachability?.(true, null);
      if (this.status.status !== 'watching' || this.gapOpen) {
        this.observed();
        this.setStatus('watching');
      }
    }
    const untilResync = nextResyncAt - Date.now();
    const resyncTimer = setTimeout(() => {
      this.resyncRequested = true;
      stopStream();
    }, Math.max(0, untilResync));
    resyncTimer.unref();
    const err = await w.done;
    clearTimeout(resyncTimer);
    this.current = null;
    if (this.stopped) return { outcome: 'stopped', rv: latest };
    if (errorEvent !== null) {
      const ee = errorEvent as KubeApiError;
      return ee.expired ? { outcome: 'expired', rv: latest } : { outcome: 'error', rv: latest, error: ee, since: new Date() };
    }
    if (this.resyncRequested) return { outcome: 'resync', rv: latest };
    if (paused) return { outcome: 'paused', rv: latest };
    if (err) {
      const ke = asKubeError(err);
      if (ke.expired) return { outcome: 'expired', rv: latest };
      if (ke.reason === 'Timeout' && w.established) return { outcome: 'ended', rv: latest, durationMs: Date.now() - started, events };
      return { outcome: 'error', rv: latest, error: ke, since: new Date() };
    }
    return { outcome: 'ended', rv: latest, durationMs: Date.now() - started, events };
  }

  private openGap(since: Date, reason: string): void {
    this.status.status = 'error';
    this.status.lastError = reason.slice(0, 2000);
    if (!this.gapOpen) {
      this.gapOpen = true;
      this.ctx.writer.openGap(this.status.group, this.status.kind, since, reason);
    }
    this.pushStatus();
  }

  /** The kind is observed again: any open gap (this run's or one a previous process left) ends now. */
  private observed(): void {
    this.gapOpen = false;
    this.status.lastError = null;
    this.ctx.writer.closeGap(this.status.group, this.status.kind, new Date());
  }

  private setStatus(s: string): void {
    this.status.status = s;
    this.pushStatus();
  }

  private pushStatus(): void {
    this.lastStatusPush = Date.now();
    this.ctx.writer.kindStatus(this.status);
  }

  /** At most one status row per second from events and bookmarks; the last one is never lost. */
  private pushStatusThrottled(): void {
    if (Date.now() - this.lastStatusPush >= 1000) {
      this.pushStatus();
      return;
    }
    if (this.trailing || this.stopped) return;
    this.trailing = setTimeout(() => {
      this.trailing = null;
      if (!this.stopped) this.pushStatus();
    }, 1000);
    this.trailing.unref();
  }
}

export function asKubeError(e: unknown): KubeApiError {
  if (e instanceof KubeApiError) return e;
  const err = e as Error;
  return new KubeApiError(err?.message ?? String(e), 0, err?.name ?? 'Error');
}
