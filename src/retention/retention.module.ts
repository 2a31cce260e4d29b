import { Module } from '@nestjs/common';
import { ErasureService } from './erasure.service';
import { PurgeRepository } from './purge.repository';
import { PurgeService } from './purge.service';
import { RowDeletion } from './row-deletion.service';

/**
 * What is deleted for good, and when: the purge and retention job (run by `PurgeSchedulerModule`
 * or `npm run db:purge`), permanent deletes of conversations, and a user's erasure. Its
 * repository holds the one list of tables whose rows belong to a conversation or a user.
 */
@Module({
  providers: [PurgeRepository, RowDeletion, PurgeService, ErasureService],
  exports: [RowDeletion, PurgeService, ErasureService],
})
export class RetentionModule {}
