/** One event of a text/event-stream, as an EventSource would dispatch it. */
export interface ReceivedEvent {
  /** The `id:` line's value; '' when it was sent empty, undefined when absent. */
  id?: string;
  type: string;
  data: string;
  /** `performance.now()` when it arrived. */
  at: number;
}

/**
 * A Server-Sent Events client for tests, on fetch: it keeps every event and comment it receives,
 * in order, and knows when the server ended the stream. Unlike EventSource it never reconnects:
 * a test reconnects by opening another, with the `Last-Event-ID` it chooses.
 */
export class EventStreamClient {
  readonly events: ReceivedEvent[] = [];
  readonly comments: string[] = [];
  /** Resolves when the server has ended the stream (or the client closed it). */
  readonly ended: Promise<void>;
  private readonly waiters = new Set<() => void>();
  private finished = false;
  private body = '';

  private constructor(
    readonly status: number,
    readonly headers: Headers,
    private readonly response: Response,
    private readonly abort: AbortController,
  ) {
    this.ended = this.read();
  }

  /** Opens `url`; resolves once the response's headers have arrived (its status is known). */
  static async open(url: string, headers: Record<string, string> = {}): Promise<EventStreamClient> {
    const abort = new AbortController();
    const response = await fetch(url, {
      headers: { Accept: 'text/event-stream', ...headers },
      signal: abort.signal,
    });
    return new EventStreamClient(response.status, response.headers, response, abort);
  }

  /** The body of an answer that is not a stream (an error's JSON). */
  async text(): Promise<string> {
    await this.ended;
    return this.body;
  }

  /** Resolves once `count` events have arrived; rejects after `timeoutMs`. */
  async waitForEvents(count: number, timeoutMs = 5_000): Promise<ReceivedEvent[]> {
    await this.until(() => this.events.length >= count, timeoutMs, `${count} events`);
    return this.events.slice(0, count);
  }

  /** Resolves with the first event of `type` from now on or already received after `from`. */
  async waitForType(type: string, timeoutMs = 5_000, from = 0): Promise<ReceivedEvent> {
    await this.until(
      () => this.events.slice(from).some((event) => event.type === type),
      timeoutMs,
      `an event ${type}`,
    );
    return this.events.slice(from).find((event) => event.type === type)!;
  }

  /** Resolves once the server has ended the stream; rejects after `timeoutMs`. */
  async waitForEnd(timeoutMs = 5_000): Promise<void> {
    await this.until(() => this.finished, timeoutMs, 'the end of the stream');
  }

  get isEnded(): boolean {
    return this.finished;
  }

  close(): void {
    this.abort.abort();
  }

  private async read(): Promise<void> {
    if (!this.response.body || this.status !== 200) {
      // Read to its end, so that the connection is free again.
      this.body = await this.response.text().catch(() => '');
      this.finished = true;
      return;
    }
    const reader = this.response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      // Closed by this client.
    } finally {
      this.finished = true;
      this.notify();
    }
  }

  private parse(block: string): void {
    const event: ReceivedEvent = { type: 'message', data: '', at: performance.now() };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '') continue;
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event.type = value;
      else if (field === 'id') event.id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length === 0) return;
    event.data = data.join('\n');
    this.events.push(event);
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `waited ${timeoutMs} ms for ${what}; got ${JSON.stringify(this.events.map((e) => e.type))}${this.finished ? ' and the end' : ''}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}
