import { Global, Logger, Module, type DynamicModule } from '@nestjs/common';
import type { RedisConfig } from '../config/app-config';
import { CacheFence } from './cache-fence';
import { openCacheStore } from './cache-store';
import { CACHE_STORE, SessionCache } from './session-cache.service';
import { UserCacheEraser } from './user-cache-eraser';
import { UserCacheInterceptor } from './user-cache.interceptor';

@Global()
@Module({})
export class CacheModule {
  static forRoot(redis: RedisConfig | undefined): DynamicModule {
    return {
      module: CacheModule,
      providers: [
        { provide: CACHE_STORE, useFactory: () => openCacheStore(redis, new Logger('Cache')) },
        CacheFence,
        SessionCache,
        UserCacheInterceptor,
        UserCacheEraser,
      ],
      exports: [CACHE_STORE, SessionCache, UserCacheInterceptor, UserCacheEraser],
    };
  }
}
