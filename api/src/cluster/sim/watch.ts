import type { ServerResponse } from 'node:http';
import type { StoreEvent } from './history';
import { apiVersionOf, type ResourceType } from './resources';
import type { Matcher } from './selectors';
import type { StatusObject } from './status';
import type { Bucket, EventSink } from './store';
import type { KubeObject } from './types';

export interface WatchOptions {
  rt: ResourceType;
  namespace?: string;
  matches: Matcher;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  timeoutSeconds?: number;
  /** The global resourceVersion, for bookmarks. */
  currentRv: () => number;
}

/**
 * One open watch: a chunked HTTP response of JSON lines. Events are delivered synchronously by the store
 * and written in batches once per event-loop turn, so a burst costs one socket write, not one per event.
 */
export class WatchStream implements EventSink {
  private pending: string[] = [];
  private scheduled = false;
  private closed = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly apiVersion: string;
  /** Events written, for the counters. */
  sent = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly bucket: Bucket,
    private readonly opts: WatchOptions,
    private readonly onClose: (w: WatchStream) => void,
  ) {
    this.apiVersion = apiVersionOf(opts.rt);
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    // Without this, client-node's informer waits for the first event before it considers the watch open.
    res.flushHeaders();
    res.on('close', () => this.teardown());
    if (opts.bookmarks) {
      const t = setInterval(() => this.bookmark(), opts.bookmarkIntervalMs);
      t.unref();
      this.timers.push(t);
    }
    if (opts.timeoutSeconds !== undefined && opts.timeoutSeconds > 0) {
      const t = setTimeout(() => this.close(true), opts.timeoutSeconds * 1000);
      t.unref();
      this.timers.push(t);
    }
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends the current objects as ADDED (a watch without a resourceVersion), then subscribes. */
  startWithState(objects: KubeObject[], initialEventsEnd: boolean): void {
    for (const obj of objects) if (this.matches(obj)) this.writeObject('ADDED', obj);
    if (initialEventsEnd && this.opts.bookmarks) {
      this.writeLine(
        JSON.stringify({
          type: 'BOOKMARK',
          object: {
            kind: this.opts.rt.kind,
            apiVersion: this.apiVersion,
            metadata: { resourceVersion: String(this.opts.currentRv()), annotations: { 'k8s.io/initial-events-end': 'true' } },
          },
        }),
      );
    }
    this.bucket.sinks.add(this);
  }

  /** Replays the retained events after `rv`, then subscribes (no gap: both happen in one turn). */
  startFrom(rv: number): void {
    const h = this.bucket.history;
    for (let i = h.firstAfter(rv); i < h.size; i++) this.deliver(h.at(i));
    this.bucket.sinks.add(this);
  }

  deliver(ev: StoreEvent): void {
    if (this.closed) return;
    const cur = ev.object;
    if (ev.type !== 'MODIFIED') {
      if (this.matches(cur)) this.writeEvent(ev, ev.type, cur);
      return;
    }
    const now = this.matches(cur);
    const before = ev.prev ? this.matches(ev.prev) : false;
    if (now && before) this.writeEvent(ev, 'MODIFIED', cur);
    else if (now) this.writeEvent(ev, 'ADDED', cur);
    else if (before) {
      // As the watch cache does: the object that stopped matching, as it was, at the event's resourceVersion.
      this.writeObject('DELETED', { ...ev.prev!, metadata: { ...ev.prev!.metadata, resourceVersion: String(ev.rv) } });
    }
  }

  /** Sends an ERROR event with a Status and closes the stream (used for 410 Expired). */
  fail(status: StatusObject): void {
    this.writeLine(JSON.stringify({ type: 'ERROR', object: status }));
    this.close(true);
  }

  bookmark(): void {
    if (this.closed) return;
    this.writeLine(
      JSON.stringify({ type: 'BOOKMARK', object: { kind: this.opts.rt.kind, apiVersion: this.apiVersion, metadata: { resourceVersion: String(this.opts.currentRv()) } } }),
    );
  }

  /** Ends the stream: gracefully (terminating chunk, like a server-side timeout) or by cutting the connection. */
  close(graceful: boolean): void {
    if (this.closed) return;
    if (graceful) {
      this.flush();
      this.teardown();
      this.res.end();
    } else {
      this.teardown();
      this.res.destroy();
      this.res.socket?.destroy();
    }
  }

  private matches(obj: KubeObject): boolean {
    if (this.opts.namespace && obj.metadata?.namespace !== this.opts.namespace) return false;
    return this.opts.matches(obj);
  }

  private writeEvent(ev: StoreEvent, type: string, obj: KubeObject): void {
    const key = `${type} ${this.apiVersion}`;
    let line = ev.lines?.get(key);
    if (line === undefined) {
      line = JSON.stringify({ type, object: obj.apiVersion === this.apiVersion ? obj : { ...obj, apiVersion: this.apiVersion } });
      (ev.lines ??= new Map()).set(key, line);
    }
    this.writeLine(line);
  }

  private writeObject(type: string, obj: KubeObject): void {
    this.writeLine(JSON.stringify({ type, object: obj.apiVersion === this.apiVersion ? obj : { ...obj, apiVersion: this.apiVersion } }));
  }

  private writeLine(line: string): void {
    if (this.closed) return;
    this.pending.push(line, '\n');
    this.sent++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.closed) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.res.write(chunk);
  }

  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.bucket.sinks.delete(this);
    this.onClose(this);
  }
}
