/**
 * Each distinct string kept once, numbered in the order first seen (a compact store refers to it by
 * number). No imports: the benches load this file directly with Node.
 */
export class Interner {
  /** The strings, by number. */
  readonly values: string[] = [];
  private readonly index = new Map<string, number>();

  /** The number of `value`, given the next one if it is new. */
  id(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}
