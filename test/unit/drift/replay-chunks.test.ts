import { describe, expect, it } from 'vitest';
import { replayChunks } from '../../../api/src/drift/drift-engine.service';

describe('replayChunks (how a drift catch-up or rebuild is cut into replays)', () => {
  it('keeps every object once, in id order, within the event and object limits', () => {
    const events = new Map<number, number>();
    for (let id = 1; id <= 5000; id++) events.set(id * 7 % 5003, 1 + (id % 13));
    const chunks = replayChunks(events.keys(), (id) => events.get(id)!, 100, 30);
    expect(chunks.flat()).toEqual([...events.keys()].sort((a, b) => a - b));
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(30);
      expect(c.reduce((a, id) => a + events.get(id)!, 0)).toBeLessThanOrEqual(100);
    }
    // Not cut finer than it needs to be: each run but the last was full (the next object would not have fitted).
    for (let i = 0; i < chunks.length - 1; i++) {
      const used = chunks[i]!.reduce((a, id) => a + events.get(id)!, 0);
      expect(chunks[i]!.length === 30 || used + events.get(chunks[i + 1]![0]!)! > 100).toBe(true);
    }
  });

  it('gives an object with more events than the limit a run of its own, and nothing for no objects', () => {
    const n = new Map([[1, 5], [2, 500], [3, 5], [4, 5]]);
    expect(replayChunks([4, 3, 2, 1], (id) => n.get(id)!, 12)).toEqual([[1], [2], [3, 4]]);
    expect(replayChunks([], () => 1, 10)).toEqual([]);
  });
});
