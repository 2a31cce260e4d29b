import type { EntityManager, QueryResult } from 'typeorm';

/**
 * The rows of any statement, `UPDATE ... RETURNING` included (TypeORM's plain `query()` answers
 * `[rows, count]` for UPDATE and DELETE but bare rows for SELECT). Runs in the manager's
 * transaction when it has one.
 */
export async function queryRows<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<T[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = (await runner.query(sql, parameters, true)) as QueryResult<T>;
    return result.records;
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/** How many rows an UPDATE or DELETE touched, in the manager's transaction when it has one. */
export async function queryAffected(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<number> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = (await runner.query(sql, parameters, true)) as QueryResult;
    return result.affected ?? 0;
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}
