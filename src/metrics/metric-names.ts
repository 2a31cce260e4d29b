/** Every series this service exports, named once. No label ever carries a user or conversation id. */
export const METRICS = {
  cacheHits: 'cache_hits_total',
  cacheMisses: 'cache_misses_total',
  cacheErrors: 'cache_errors_total',
} as const;
