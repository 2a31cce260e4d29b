import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

export interface LoadOptions {
  url: string;
  connections?: number;
  seconds?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A body per request (autocannon's `setupRequest`), or one fixed body. */
  body?: string | (() => string);
  path?: string | (() => string);
}

/** One autocannon run; latencies in milliseconds. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { body, path } = options;
  const result = await autocannon({
    url: options.url,
    connections: options.connections ?? 50,
    duration: options.seconds ?? 10,
    method: options.method ?? 'GET',
    headers: options.headers,
    body: typeof body === 'string' ? body : undefined,
    requests: [
      {
        setupRequest: (request: autocannon.Request) => ({
          ...request,
          ...(typeof body === 'function' ? { body: body() } : {}),
          ...(typeof path === 'function'
            ? { path: path() }
            : typeof path === 'string'
              ? { path }
              : {}),
        }),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}
