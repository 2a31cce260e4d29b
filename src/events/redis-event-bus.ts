import { Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { cacheKeys } from '../cache/cache-keys';
import { withTimeout } from '../common/with-timeout';
import type { RedisConnection } from '../redis/redis-client';
import type { BusEvent, ConversationRef, EventsAfter, OutgoingEvent } from './conversation-event';
import { EventBus, resumeFrom, type EventListener } from './event-bus';
import type { EventRetention } from './event-retention';

/** A write waits this long at most for its events to be taken, after it has committed. */
const PUBLISH_TIMEOUT_MS = 500;
/** Opening a stream waits this long at most for its subscription and its history. */
const OPEN_TIMEOUT_MS = 1_000;

/**
 * Appends the events to the conversation's history (a Redis stream) and publishes each on the
 * conversation's channel in the same step, so that the order of the history and of delivery is
 * one. Each entry names its predecessor (`p`): a resume can tell "nothing after it was dropped"
 * from a hole. Then the retention of event-retention.ts: the oldest entries go while there are
 * more than `keep` and they are older than the age, or beyond `cap` whatever their age; each
 * entry is looked at once when it goes, so trimming costs nothing per event on average.
 * KEYS[1] history; ARGV: channel, keep, age ms, cap, idle ms, then type and data of each event.
 */
const PUBLISH_SCRIPT = `
local key, channel = KEYS[1], ARGV[1]
local keep, age, cap, idle = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local newest = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)
local previous = newest[1] and newest[1][1] or '0-0'
for i = 6, #ARGV, 2 do
  local id = redis.call('XADD', key, '*', 't', ARGV[i], 'd', ARGV[i + 1], 'p', previous)
  redis.call('PUBLISH', channel, id .. ' ' .. previous .. ' ' .. ARGV[i] .. ' ' .. ARGV[i + 1])
  previous = id
end
local held = redis.call('XLEN', key)
if held > keep then
  local time = redis.call('TIME')
  local cutoff = string.format('%.0f', tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) - age)
  local pastAge = #redis.call('XRANGE', key, '-', '(' .. cutoff .. '-0', 'COUNT', held - keep)
  local drop = math.max(pastAge, held - cap)
  if drop > 0 then
    local oldest = redis.call('XRANGE', key, '-', '+', 'COUNT', drop + 1)
    redis.call('XTRIM', key, 'MINID', oldest[drop + 1][1])
  end
end
redis.call('PEXPIRE', key, idle)
return held
`;
const PUBLISH_SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');

/** A history entry as XRANGE answers it. */
interface StoredEntry {
  id: string;
  message: Record<string, string>;
}

interface Channel {
  listeners: Set<EventListener>;
  /** Settles once Redis has confirmed the subscription. */
  subscribed: Promise<void>;
}

/**
 * The event bus on the Redis the service already has: a stream per conversation holds its recent
 * events (what `Last-Event-ID` resumes from), and Pub/Sub delivers each event to the replicas
 * with a stream of that conversation open, on one subscriber connection per replica. Publishing
 * uses the cache's client; subscriptions are per conversation, and only while a stream is open.
 * In every REDIS_MODE: a conversation's history is one key of its user's slot (the script runs on
 * that node), and a cluster's Pub/Sub reaches every node, whichever one the subscriber is on.
 */
export class RedisEventBus extends EventBus {
  private readonly logger = new Logger('EventBus');
  private readonly channels = new Map<string, Channel>();
  /** Unsubscribes under way: subscribing the same channel again waits for them. */
  private readonly leaving = new Map<string, Promise<void>>();
  private readonly outageListeners: Array<() => void> = [];
  private delivering = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly subscriber: RedisConnection,
    private readonly prefix: string,
    private readonly retention: EventRetention,
  ) {
    super();
    subscriber.onConnectionChange((connected) => {
      if (!connected) return this.lost();
      this.delivering = true;
      this.logger.log('event bus connected');
    });
  }

  /** Connects the subscriber without holding the boot up: streams answer 503 until it is ready. */
  async start(): Promise<void> {
    await Promise.race([
      this.subscriber.connect().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, OPEN_TIMEOUT_MS).unref()),
    ]);
  }

  async close(): Promise<void> {
    this.delivering = false;
    this.subscriber.destroy();
  }

  isUp(): boolean {
    return this.delivering && this.subscriber.isReady() && this.redis.isReady();
  }

  async publish(target: ConversationRef, events: OutgoingEvent[]): Promise<boolean> {
    if (events.length === 0) return true;
    if (!this.redis.isReady()) return false;
    const key = cacheKeys.eventHistory(this.prefix, target.userId, target.conversationId);
    const args = [
      cacheKeys.eventChannel(this.prefix, target.userId, target.conversationId),
      String(this.retention.keep),
      String(this.retention.ageMs),
      String(this.retention.cap),
      String(this.retention.idleMs),
      ...events.flatMap(({ type, data }) => [type, data]),
    ];
    try {
      await withTimeout(this.runScript(key, args), PUBLISH_TIMEOUT_MS);
      return true;
    } catch {
      return false;
    }
  }

  async eventsAfter(target: ConversationRef, lastId: string): Promise<EventsAfter> {
    const key = cacheKeys.eventHistory(this.prefix, target.userId, target.conversationId);
    const entries: StoredEntry[] = await withTimeout(
      this.redis.commands.xRange(key, lastId, '+', { COUNT: this.retention.cap + 1 }),
      OPEN_TIMEOUT_MS,
    );
    return resumeFrom(lastId, entries.map(toBusEvent));
  }

  async subscribe(target: ConversationRef, listener: EventListener): Promise<() => void> {
    const name = cacheKeys.eventChannel(this.prefix, target.userId, target.conversationId);
    let channel = this.channels.get(name);
    if (!channel) {
      const previous = this.leaving.get(name) ?? Promise.resolve();
      const joining: Channel = {
        listeners: new Set(),
        subscribed: previous.then(() => this.subscriber.commands.subscribe(name, this.deliver)),
      };
      joining.subscribed.catch(() => {
        if (this.channels.get(name) === joining) this.channels.delete(name);
      });
      this.channels.set(name, joining);
      channel = joining;
    }
    channel.listeners.add(listener);
    const joined = channel;
    const leave = (): void => this.leave(name, joined, listener);
    try {
      await withTimeout(channel.subscribed, OPEN_TIMEOUT_MS);
    } catch (error) {
      leave();
      throw error;
    }
    return leave;
  }

  onOutage(listener: () => void): void {
    this.outageListeners.push(listener);
  }

  private readonly deliver = (message: string, name: string): void => {
    const channel = this.channels.get(name);
    if (!channel) {
      // Restored by the client's reconnect after an outage, when no stream was left to need it.
      if (!this.leaving.has(name)) this.unsubscribe(name);
      return;
    }
    const event = parseDelivered(message);
    for (const listener of channel.listeners) listener(event);
  };

  private leave(name: string, channel: Channel, listener: EventListener): void {
    channel.listeners.delete(listener);
    if (channel.listeners.size > 0 || this.channels.get(name) !== channel) return;
    this.channels.delete(name);
    void channel.subscribed.then(
      () => this.unsubscribe(name),
      () => undefined,
    );
  }

  private unsubscribe(name: string): void {
    const left: Promise<void> = this.subscriber.commands
      .unsubscribe(name)
      .catch(() => undefined)
      .finally(() => {
        if (this.leaving.get(name) === left) this.leaving.delete(name);
      });
    this.leaving.set(name, left);
  }

  /** Every stream of this replica ends: what Pub/Sub sent meanwhile is gone. */
  private lost(): void {
    if (!this.delivering) return;
    this.delivering = false;
    this.channels.clear();
    this.leaving.clear();
    this.logger.warn('event bus connection lost: event streams end with reset until it returns');
    for (const listener of this.outageListeners) listener();
  }

  private async runScript(key: string, args: string[]): Promise<void> {
    const call = { keys: [key], arguments: args };
    try {
      await this.redis.commands.evalSha(PUBLISH_SHA, call);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      await this.redis.commands.eval(PUBLISH_SCRIPT, call);
    }
  }
}

function toBusEvent({ id, message }: StoredEntry): BusEvent {
  return {
    id,
    type: message.t as BusEvent['type'],
    data: message.d ?? '{}',
    previous: message.p ?? '0-0',
  };
}

/** `<id> <previous> <type> <data>`, as the script publishes it. */
function parseDelivered(message: string): BusEvent {
  const afterId = message.indexOf(' ');
  const afterPrevious = message.indexOf(' ', afterId + 1);
  const afterType = message.indexOf(' ', afterPrevious + 1);
  return {
    id: message.slice(0, afterId),
    previous: message.slice(afterId + 1, afterPrevious),
    type: message.slice(afterPrevious + 1, afterType) as BusEvent['type'],
    data: message.slice(afterType + 1),
  };
}
