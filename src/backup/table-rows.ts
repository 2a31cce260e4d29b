import type { Client } from 'pg';

// The tables whose rows pg_dump writes: ordinary and partitioned tables outside the system
// schemas, except those an extension owns. Names come quoted where SQL needs it.
const DUMPED_TABLES_SQL = `
  SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p')
    AND n.nspname <> 'information_schema'
    AND n.nspname NOT LIKE 'pg\\_%'
    AND NOT EXISTS (
      SELECT 1 FROM pg_depend d
      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
    )
  ORDER BY 1`;

/**
 * Exact row counts of every dumped table, `schema.table` to count, in the client's current
 * transaction (so in its snapshot when one is open).
 */
export async function countRows(client: Client): Promise<Record<string, number>> {
  const { rows: tables } = await client.query<{ name: string }>(DUMPED_TABLES_SQL);
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const { rows } = await client.query<{ count: string }>(`SELECT count(*) AS count FROM ${name}`);
    counts[name] = Number(rows[0].count);
  }
  return counts;
}
