import { HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { AuthenticatedUser } from '../../auth/authenticated-user';
import { cacheKeys } from '../../cache/cache-keys';
import { CACHE_OPERATION_TIMEOUT_MS, type CacheStore } from '../../cache/cache-store';
import { CACHE_STORE } from '../../cache/session-cache.service';
import { RetryLaterException } from '../../common/retry-later.exception';
import { withTimeout } from '../../common/with-timeout';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { ConversationsService } from '../conversations.service';

export const TICKET_LIFETIME_SECONDS = 60;
/** Tickets kept at most without Redis (one process: development). */
const MEMORY_TICKETS = 10_000;

/** `<user>.<32 characters of base64url>`: the user names the key, the rest is the secret. */
const TICKET = /^([1-9]\d{0,9})\.([A-Za-z0-9_-]{32})$/;

export interface IssuedTicket {
  ticket: string;
  expires_in: number;
}

const refused = (): UnauthorizedException =>
  new UnauthorizedException('the ticket is unknown, used, expired or for another conversation');

/**
 * Single-use tickets for `EventSource`, which cannot send an Authorization header: a ticket
 * names one user and one conversation, lives 60 s and is taken by the first stream that uses it
 * (GETDEL, atomic on every replica). Redis holds a digest of the secret in the key, never the
 * secret, and nothing logs a ticket (logging/logger.ts drops the query of request lines).
 */
@Injectable()
export class StreamTickets {
  private readonly prefix: string;
  private readonly memory = new Map<string, { conversationId: string; expiresAt: number }>();

  constructor(
    private readonly conversations: ConversationsService,
    @Inject(CACHE_STORE) private readonly store: CacheStore,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.prefix = config.cache.keyPrefix;
  }

  /** A ticket for a stream of the user's conversation (404 when it is not theirs). */
  async issue(userId: number, conversationId: string): Promise<IssuedTicket> {
    await this.conversations.requireActive(userId, conversationId);
    const secret = randomBytes(24).toString('base64url');
    const key = this.keyOf(userId, secret);
    const redis = this.store.redis;
    if (redis) {
      await this.bounded(() =>
        redis.commands.set(key, conversationId, { PX: TICKET_LIFETIME_SECONDS * 1000 }),
      );
    } else {
      this.remember(key, conversationId);
    }
    return { ticket: `${userId}.${secret}`, expires_in: TICKET_LIFETIME_SECONDS };
  }

  /** The user a ticket stands for, once, on the conversation it was issued for; else 401. */
  async redeem(ticket: unknown, conversationId: string): Promise<AuthenticatedUser> {
    const parsed = typeof ticket === 'string' ? TICKET.exec(ticket) : null;
    if (!parsed) throw refused();
    const userId = Number(parsed[1]);
    const key = this.keyOf(userId, parsed[2]);
    const redis = this.store.redis;
    const issuedFor = redis ? await this.bounded(() => redis.commands.getDel(key)) : this.take(key);
    if (issuedFor !== conversationId) throw refused();
    // A ticket opens a stream and nothing else: it carries no scope.
    return { id: userId, scopes: new Set() };
  }

  private keyOf(userId: number, secret: string): string {
    const digest = createHash('sha256').update(secret).digest('base64url');
    return cacheKeys.eventTicket(this.prefix, userId, digest);
  }

  private async bounded<T>(call: () => Promise<T>): Promise<T> {
    try {
      if (!this.store.isReady()) throw new Error('Redis not ready');
      return await withTimeout(call(), CACHE_OPERATION_TIMEOUT_MS);
    } catch {
      throw new RetryLaterException(
        HttpStatus.SERVICE_UNAVAILABLE,
        'stream tickets are unavailable: retry after the Retry-After seconds',
        2,
      );
    }
  }

  private remember(key: string, conversationId: string): void {
    const now = Date.now();
    for (const [stored, { expiresAt }] of this.memory) {
      if (expiresAt <= now || this.memory.size >= MEMORY_TICKETS) this.memory.delete(stored);
      else break;
    }
    this.memory.set(key, { conversationId, expiresAt: now + TICKET_LIFETIME_SECONDS * 1000 });
  }

  private take(key: string): string | null {
    const stored = this.memory.get(key);
    this.memory.delete(key);
    return stored && stored.expiresAt > Date.now() ? stored.conversationId : null;
  }
}
