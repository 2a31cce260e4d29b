import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { CacheStore } from '../cache/cache-store';
import { CACHE_STORE } from '../cache/session-cache.service';
import type { AppConfig, RedisConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { createRedisClient } from '../redis/redis-client';
import { EventBus } from './event-bus';
import { EventOutbox, PublishEventsInterceptor } from './event-outbox';
import { EventPublisher } from './event-publisher';
import { EVENT_RETENTION } from './event-retention';
import { LostEvents } from './lost-events';
import { MemoryEventBus } from './memory-event-bus';
import { RedisEventBus } from './redis-event-bus';

/** Starts the relay of lost events where other replicas may exist, and closes the bus last. */
@Injectable()
class EventsLifecycle implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(EventBus) private readonly bus: EventBus,
    @Inject(LostEvents) private readonly losses: LostEvents,
  ) {}

  onApplicationBootstrap(): void {
    if (this.bus instanceof RedisEventBus) this.losses.startRelay();
  }

  async onModuleDestroy(): Promise<void> {
    await this.losses.stop();
    if (this.bus instanceof RedisEventBus) await this.bus.close();
  }
}

/**
 * The event bus shared by the replicas (Redis; in memory without it), the outbox writes record
 * their events in, and the global interceptor that publishes them once a write has answered.
 */
@Global()
@Module({})
export class EventsModule {
  static forRoot(redis: RedisConfig | undefined): DynamicModule {
    return {
      module: EventsModule,
      providers: [
        {
          provide: EventBus,
          inject: [CACHE_STORE, APP_CONFIG],
          useFactory: async (store: CacheStore, config: AppConfig): Promise<EventBus> => {
            if (!redis || !store.redis) return new MemoryEventBus(EVENT_RETENTION);
            // Pub/Sub takes a connection of its own.
            const subscriber = createRedisClient(redis, { reconnect: true });
            const bus = new RedisEventBus(
              store.redis,
              subscriber,
              config.cache.keyPrefix,
              EVENT_RETENTION,
            );
            await bus.start();
            return bus;
          },
        },
        {
          provide: LostEvents,
          inject: [getDataSourceToken(), EventBus],
          useFactory: (dataSource: DataSource, bus: EventBus) => new LostEvents(dataSource, bus),
        },
        EventPublisher,
        EventOutbox,
        EventsLifecycle,
        { provide: APP_INTERCEPTOR, useClass: PublishEventsInterceptor },
      ],
      exports: [EventBus, EventPublisher, EventOutbox],
    };
  }
}
