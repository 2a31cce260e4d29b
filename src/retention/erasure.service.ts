import { Injectable, Logger } from '@nestjs/common';
import { Transactional } from '@nestjs-cls/transactional';
import { UserCacheEraser } from '../cache/user-cache-eraser';
import { newId } from '../common/ids';
import type { RowCounts } from './purge.repository';
import { RowDeletion } from './row-deletion.service';

export interface ErasureReceipt {
  receipt_id: string;
  user_id: number;
  erased_at: string;
  erased: RowCounts;
}

/**
 * Erases everything stored for a user, for good: every row of `OWNED_TABLES` in one transaction
 * (all or nothing, however large), then everything Redis keeps for them. The receipt is logged
 * with its counts, never any content; it is not stored (that would keep data about the user).
 */
@Injectable()
export class ErasureService {
  private readonly logger = new Logger('Erasure');

  constructor(
    private readonly deletion: RowDeletion,
    private readonly cacheEraser: UserCacheEraser,
  ) {}

  async erase(userId: number): Promise<ErasureReceipt> {
    const erased = await this.eraseRows(userId);
    const cacheKeys = await this.cacheEraser.erase(userId);
    const receipt: ErasureReceipt = {
      receipt_id: newId('erasure'),
      user_id: userId,
      erased_at: new Date().toISOString(),
      erased,
    };
    this.logger.log(`erasure receipt ${JSON.stringify({ ...receipt, cache_keys: cacheKeys })}`);
    return receipt;
  }

  @Transactional()
  private eraseRows(userId: number): Promise<RowCounts> {
    return this.deletion.deleteUser(userId);
  }
}
