import { Module } from '@nestjs/common';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IdempotencyRepository } from './idempotency.repository';
import { IdempotencyService } from './idempotency.service';

@Module({
  providers: [IdempotencyRepository, IdempotencyService, IdempotencyInterceptor],
  // Nest builds a route's interceptor in the route's module: it needs the service there too.
  exports: [IdempotencyInterceptor, IdempotencyService],
})
export class IdempotencyModule {}
