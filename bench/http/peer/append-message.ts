import type { FastifyInstance } from 'fastify';
import { newId } from '../../../src/common/ids';
import { searchTerms } from '../../../src/conversations/messages/search-terms';
import { conversationAnswer, messageAnswer, ONLY_CHILD } from './answers';
import { admit, type PeerContext } from './peer-context';
import { PeerError } from './peer-error';
import { CLAIM_SEQUENCE, HEAD_STATE, INSERT_MESSAGE, SET_HEAD } from './statements';

const AGENT_WRITE_SCOPE = 'messages:write:assistant';
const ROLES = new Set(['user', 'assistant', 'system']);

/**
 * `POST /api/v1/conversations/:id/messages` with one message `{role, content}`: the service's
 * transaction (claim the seq, read the head, insert after it, move the head) and its 201 answer.
 */
export function registerAppendMessage(app: FastifyInstance, context: PeerContext): void {
  app.post<{ Params: { id: string }; Body: unknown }>(
    '/api/v1/conversations/:id/messages',
    async (request, reply) => {
      const user = await admit(context, request, reply);
      const { role, content } = messageOf(request.body);
      if (role !== 'user' && !user.scopes.has(AGENT_WRITE_SCOPE)) {
        throw new PeerError(403, `writing ${role} messages needs the ${AGENT_WRITE_SCOPE} scope`);
      }
      const conversationId = request.params.id;
      const client = await context.pool.connect();
      try {
        await client.query('START TRANSACTION');
        const [claimed] = (await client.query(CLAIM_SEQUENCE, [conversationId, user.id, 1, null]))
          .rows;
        if (!claimed) throw new PeerError(404, 'conversation not found');
        const headId: string | null = claimed.head_message_id ?? null;
        const [state] = (await client.query(HEAD_STATE, [conversationId, user.id, headId])).rows;
        if (state.unlinked_tail) {
          // The service links them first; the benchmark's conversations have none.
          throw new PeerError(501, 'the peer does not link rows written without the tree');
        }
        const follows =
          headId !== null && state.head_depth !== null
            ? { id: headId, depth: state.head_depth as number }
            : { id: null, depth: 0 };
        const message = {
          id: newId('msg'),
          conversationId,
          seq: (claimed.message_count ?? 0) as number,
          role,
          status: 'complete',
          content,
          agentUsed: null,
          routingInfo: {},
          references: [],
          timestamp: claimed.updated_at as Date,
          metadata: {},
          parentId: follows.id,
          usage: null,
          feedback: null,
        };
        await client.query(INSERT_MESSAGE, [
          message.id,
          conversationId,
          user.id,
          message.seq,
          role,
          content,
          null,
          '{}',
          '[]',
          message.timestamp,
          '{}',
          follows.id,
          follows.depth + 1,
          true,
          null,
          message.status,
          searchTerms(content),
        ]);
        const [moved] = (await client.query(SET_HEAD, [conversationId, user.id, message.id])).rows;
        await client.query('COMMIT');
        // The head is always a leaf: what follows it is its only child.
        const answer = {
          conversation_id: conversationId,
          messages: [messageAnswer(message, ONLY_CHILD)],
          conversation: conversationAnswer(moved),
        };
        return reply
          .status(201)
          .header('content-type', 'application/json; charset=utf-8')
          .send(JSON.stringify(answer));
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
  );
}

/** The one shape the peer appends: `{role, content}`, nothing else. */
function messageOf(body: unknown): { role: string; content: string } {
  const { role, content, ...others } = (body ?? {}) as Record<string, unknown>;
  if (Object.keys(others).length > 0 || typeof role !== 'string' || !ROLES.has(role)) {
    throw new PeerError(400, 'the peer appends one {role, content} message');
  }
  if (typeof content !== 'string' || content.length === 0) {
    throw new PeerError(400, 'content must be a non-empty string');
  }
  return { role, content };
}
