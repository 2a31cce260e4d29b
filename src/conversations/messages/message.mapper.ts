import type { Message } from './message.entity';
import type { MessageResponse } from './message.responses';

export function toMessageResponse(message: Message): MessageResponse {
  return {
    id: message.id,
    conversation_id: message.conversationId,
    seq: message.seq,
    role: message.role,
    status: message.status,
    content: message.content,
    agent_used: message.agentUsed,
    routing_info: message.routingInfo ?? {},
    references: message.references ?? [],
    timestamp: message.timestamp.toISOString(),
    metadata: message.metadata ?? {},
  };
}
