import type { MessageResponse } from './messages/message.responses';
import type { ConversationResponse } from './conversation.responses';
import type { ExportFormat } from './dto/export-query.dto';

export interface ExportDocument {
  filename: string;
  contentType: string;
  chunks: AsyncIterable<string>;
}

/**
 * Streams a whole conversation as JSON (`{conversation, messages}`) or Markdown, reading the
 * messages batch by batch so that a long conversation never sits in memory at once.
 */
export function renderExport(
  conversation: ConversationResponse,
  batches: AsyncIterable<MessageResponse[]>,
  format: ExportFormat,
): ExportDocument {
  return format === 'markdown'
    ? {
        filename: `${conversation.id}.md`,
        contentType: 'text/markdown; charset=utf-8',
        chunks: markdown(conversation, batches),
      }
    : {
        filename: `${conversation.id}.json`,
        contentType: 'application/json; charset=utf-8',
        chunks: json(conversation, batches),
      };
}

async function* json(
  conversation: ConversationResponse,
  batches: AsyncIterable<MessageResponse[]>,
): AsyncIterable<string> {
  yield `{"conversation":${JSON.stringify(conversation)},"messages":[`;
  let first = true;
  for await (const batch of batches) {
    for (const message of batch) {
      yield `${first ? '' : ','}${JSON.stringify(message)}`;
      first = false;
    }
  }
  yield ']}\n';
}

async function* markdown(
  conversation: ConversationResponse,
  batches: AsyncIterable<MessageResponse[]>,
): AsyncIterable<string> {
  yield `# ${conversation.title}\n\n`;
  yield `- id: ${conversation.id}\n- created: ${conversation.created_at}\n- messages: ${conversation.message_count}\n\n`;
  for await (const batch of batches) {
    for (const message of batch) {
      const agent = message.agent_used ? ` (${message.agent_used})` : '';
      yield `## ${message.seq}. ${message.role}${agent} · ${message.timestamp}\n\n${message.content}\n\n`;
    }
  }
}
