import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { JwtAuthGuard, type AuthenticatedRequest } from '../../auth/jwt-auth.guard';
import { StreamTickets } from './stream-tickets.service';

/**
 * An event stream's caller: the bearer token as on every route, or, for browsers' `EventSource`
 * (which sends no headers), `?ticket=` from `POST /:id/events/ticket`. The ticket is taken out of
 * the query once redeemed, as `user_id` is by the token guard.
 */
@Injectable()
export class StreamAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: JwtAuthGuard,
    private readonly tickets: StreamTickets,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const query = (request.query ?? {}) as Record<string, unknown>;
    if (!('ticket' in query)) return this.tokens.canActivate(context);
    const { ticket } = query;
    delete query.ticket;
    const { id } = request.params as { id: string };
    request.user = await this.tickets.redeem(ticket, id);
    return true;
  }
}
