import { Injectable } from '@nestjs/common';
import {
  BATCH_ROWS,
  NO_ROWS,
  OWNED_TABLES,
  PurgeRepository,
  type RowCounts,
  type Scope,
} from './purge.repository';

/** Told how long each statement took (the job's metrics and its longest lock). */
export type StatementObserver = (table: string, milliseconds: number) => void;

/**
 * Deletes conversations, or a user, with every row that belongs to them, table by table in the
 * order of `OWNED_TABLES`, `BATCH_ROWS` rows per statement. Inside a transaction (a request, an
 * erasure) it is all or nothing; outside one (the job) each statement commits at once, and an
 * interrupted run is finished by the next (what is left is past the window, and nothing shows it).
 */
@Injectable()
export class RowDeletion {
  constructor(private readonly rows: PurgeRepository) {}

  /** The job's: conversations of any users (statements across users, by design). */
  deleteConversations(ids: string[], observe?: StatementObserver): Promise<RowCounts> {
    return ids.length === 0
      ? Promise.resolve({ ...NO_ROWS })
      : this.delete({ conversations: ids }, observe);
  }

  /** A request's: conversations of its user, every statement naming the user. */
  deleteUserConversations(userId: number, ids: string[]): Promise<RowCounts> {
    return ids.length === 0
      ? Promise.resolve({ ...NO_ROWS })
      : this.delete({ conversations: ids, owner: userId });
  }

  deleteUser(userId: number): Promise<RowCounts> {
    return this.delete({ user: userId });
  }

  /** What `deleteConversations` would delete, deleting nothing. */
  async countConversations(ids: string[]): Promise<RowCounts> {
    const counts = { ...NO_ROWS };
    if (ids.length === 0) return counts;
    for (const table of OWNED_TABLES) {
      counts[table.kind] += await this.rows.countRows(table, { conversations: ids });
    }
    return counts;
  }

  private async delete(scope: Scope, observe?: StatementObserver): Promise<RowCounts> {
    const counts = { ...NO_ROWS };
    for (const table of OWNED_TABLES) {
      for (;;) {
        const started = performance.now();
        const deleted = await this.rows.deleteBatch(table, scope, BATCH_ROWS);
        observe?.(table.table, performance.now() - started);
        counts[table.kind] += deleted;
        if (deleted < BATCH_ROWS) break;
      }
    }
    return counts;
  }
}
