import { Global, Module } from '@nestjs/common';
import { ReadReplicas } from './read-replicas';
import { ReadRouter } from './read-router';
import { ReadRoutingInterceptor } from './read-routing.interceptor';
import { WritePositions } from './write-positions';

/** Read replicas, the read-your-writes rule, and the interceptor that applies it to requests. */
@Global()
@Module({
  providers: [ReadReplicas, WritePositions, ReadRouter, ReadRoutingInterceptor],
  exports: [ReadRouter, ReadRoutingInterceptor],
})
export class ReadRoutingModule {}
