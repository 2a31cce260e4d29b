import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { AgentStatsRecorder } from '../../agent-stats/agent-stats-recorder.service';
import { SessionCache } from '../../cache/session-cache.service';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Transactions } from '../../database/transactions';
import { EventPublisher } from '../../events/event-publisher';
import { METRICS } from '../../metrics/metric-names';
import { toMessageResponse } from './message.mapper';
import { MessageStreamsRepository, type MessageRef } from './message-streams.repository';
import { MessagesRepository } from './messages.repository';
import { answersOf } from './new-messages';

/** Streams finalised per turn at most; a turn that fills it runs again at once. */
const BATCH = 100;

/** How often a replica sweeps: half the window, within 1 to 30 seconds. */
function sweepEveryMs(staleSeconds: number): number {
  return Math.min(30_000, Math.max(1_000, (staleSeconds * 1000) / 2));
}

/**
 * A stream that had no write for `STREAM_STALE_SECONDS` already reads `incomplete`; the sweep
 * makes it so in storage: its text is written into `messages.content` with its search terms (so
 * search finds it), its stream rows go, it counts among the agents' answers,
 * `chat_message_streams_incomplete_total` counts it, and its streams hear `message.completed`.
 * Every replica sweeps at boot and then periodically; a stream held by another transaction (a
 * late delta, another replica's sweep) is skipped, not waited for.
 */
@Injectable()
export class StaleStreamSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(StaleStreamSweeper.name);
  private readonly everyMs: number;
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly transactions: Transactions,
    private readonly streams: MessageStreamsRepository,
    private readonly messages: MessagesRepository,
    private readonly cache: SessionCache,
    private readonly publisher: EventPublisher,
    private readonly agentStats: AgentStatsRecorder,
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectMetric(METRICS.streamsIncomplete) private readonly incomplete: Counter,
  ) {
    this.everyMs = sweepEveryMs(config.streaming.staleSeconds);
  }

  onApplicationBootstrap(): void {
    // What a replica that crashed left streaming is finalised by the next one to start.
    this.turn();
    this.timer = setInterval(() => this.turn(), this.everyMs);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }

  /** Finalises the streams gone stale now; how many this replica finalised. */
  async sweep(): Promise<number> {
    let finalised = 0;
    for (;;) {
      const stale = await this.streams.stale(BATCH);
      let done = 0;
      for (const ref of stale) {
        if (await this.finalise(ref)) done += 1;
      }
      finalised += done;
      // Whatever was skipped is someone else's; a full batch may have more behind it.
      if (stale.length < BATCH || done === 0) return finalised;
    }
  }

  private turn(): void {
    this.sweeping ??= this.sweep()
      .then(() => undefined)
      .catch((error: unknown) => {
        this.logger.warn(
          `stale streams not swept (${(error as { code?: string }).code ?? 'error'})`,
        );
      })
      .finally(() => (this.sweeping = null));
  }

  private async finalise(ref: MessageRef): Promise<boolean> {
    const conversation = { id: ref.conversationId, userId: ref.userId };
    const message = await this.transactions.withTransaction(async () => {
      const text = await this.streams.endStale(ref.userId, ref.messageId);
      if (text === null) return null;
      const finished = await this.messages.finish(ref, { status: 'incomplete', content: text });
      await this.agentStats.recordAnswers(ref.conversationId, answersOf([finished]));
      return finished;
    });
    if (!message) return false;
    const [siblings] = await this.messages.siblingPlaces(conversation, [message]);
    this.incomplete.inc();
    // A write outside HTTP: the cache rule for jobs.
    await this.cache.invalidateUser(ref.userId);
    await this.publisher.publish([
      {
        target: ref,
        event: {
          type: 'message.completed',
          data: JSON.stringify(toMessageResponse(message, siblings)),
        },
      },
    ]);
    return true;
  }
}
