import type { EntityManager, DataSource } from 'typeorm';

type Queryable = Pick<EntityManager | DataSource, 'query'>;

export interface BulkColumn {
  name: string;
  /** Postgres element type of the array parameter: text, bigint, integer, boolean, timestamptz, jsonb, text[] (as jsonb), … */
  type: string;
}

/**
 * Multi-row INSERT through `unnest`: one array parameter per column, so a batch
 * of any size is one statement and one round trip (the embedded database does
 * ~1,250 single-row inserts/s, so batching is what makes it usable).
 * jsonb columns take JSON strings; `text[]` columns take JSON arrays of strings.
 */
export async function bulkInsert(
  q: Queryable,
  table: string,
  columns: BulkColumn[],
  rows: unknown[][],
  suffix = '',
): Promise<Record<string, unknown>[]> {
  if (rows.length === 0) return [];
  const params = columns.map((c, i) => {
    const values = rows.map((r) => r[i] ?? null);
    if (c.type === 'jsonb' || c.type === 'text[]') return values.map((v) => (v === null ? null : typeof v === 'string' ? v : JSON.stringify(v)));
    return values;
  });
  const selects = columns.map((c, i) => {
    if (c.type === 'jsonb') return `u.c${i}::jsonb`;
    if (c.type === 'text[]') return `ARRAY(SELECT jsonb_array_elements_text(u.c${i}::jsonb))`;
    return `u.c${i}`;
  });
  const unnestArgs = columns.map((c, i) => `$${i + 1}::${c.type === 'jsonb' || c.type === 'text[]' ? 'text' : c.type}[]`);
  const sql =
    `INSERT INTO ${table} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) ` +
    `SELECT ${selects.join(', ')} FROM unnest(${unnestArgs.join(', ')}) AS u(${columns.map((_, i) => `c${i}`).join(', ')}) ${suffix}`;
  return q.query(sql, params);
}

export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const RESERVED = new Set(['group', 'order', 'user', 'table', 'select', 'where', 'from', 'to', 'at']);
