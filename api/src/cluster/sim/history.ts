import type { KubeObject } from './types';

/** One change as a watch sees it. `object` and `prev` are stored objects and never change. */
export interface StoreEvent {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  /** The object before a MODIFIED (a watch with a selector turns it into ADDED or DELETED). */
  prev?: KubeObject;
  /** Serialised watch lines, by "TYPE apiVersion", so N watchers cost one JSON.stringify. */
  lines?: Map<string, string>;
}

/** A fixed-size ring of events, oldest first, with resourceVersions strictly increasing. */
export class EventRing {
  private items: Array<StoreEvent | undefined>;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Adds an event; answers the one pushed out, if the ring was full. */
  push(ev: StoreEvent): StoreEvent | undefined {
    const cap = this.items.length;
    if (this.count < cap) {
      this.items[(this.start + this.count) % cap] = ev;
      this.count++;
      return undefined;
    }
    const evicted = this.items[this.start];
    this.items[this.start] = ev;
    this.start = (this.start + 1) % cap;
    return evicted;
  }

  at(i: number): StoreEvent {
    return this.items[(this.start + i) % this.items.length]!;
  }

  /** Index of the first event with rv > the given one (size when none). */
  firstAfter(rv: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  clear(): void {
    this.items = new Array(this.items.length);
    this.start = 0;
    this.count = 0;
  }
}
