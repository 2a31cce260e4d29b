import type { MessageResponse } from './messages/message.responses';
import {
  exportBatchLines,
  exportHeaderLine,
  planMessageChunks,
  type ExportedConversation,
  type MessageRange,
} from './user-export';

describe('planMessageChunks', () => {
  it('lets small conversations share a fetch and splits a long one, never over the bound', () => {
    expect(
      planMessageChunks(
        [
          { id: 'a', messageCount: 2 },
          { id: 'b', messageCount: 0 },
          { id: 'c', messageCount: 7 },
          { id: 'd', messageCount: 1 },
        ],
        4,
      ),
    ).toEqual([
      [
        { conversationId: 'a', fromSeq: 1, toSeq: 2 },
        { conversationId: 'c', fromSeq: 1, toSeq: 2 },
      ],
      [{ conversationId: 'c', fromSeq: 3, toSeq: 6 }],
      [
        { conversationId: 'c', fromSeq: 7, toSeq: 7 },
        { conversationId: 'd', fromSeq: 1, toSeq: 1 },
      ],
    ]);
  });

  it('covers every seq of every conversation exactly once', () => {
    const conversations = Array.from({ length: 30 }, (_, i) => ({
      id: `c${i}`,
      messageCount: (i * 37) % 23,
    }));
    const chunks = planMessageChunks(conversations, 10);
    for (const chunk of chunks) {
      expect(chunk.reduce((sum, r) => sum + r.toSeq - r.fromSeq + 1, 0)).toBeLessThanOrEqual(10);
    }
    const covered = chunks
      .flat()
      .flatMap((r) =>
        Array.from(
          { length: r.toSeq - r.fromSeq + 1 },
          (_, k) => `${r.conversationId}:${r.fromSeq + k}`,
        ),
      );
    const expected = conversations.flatMap(({ id, messageCount }) =>
      Array.from({ length: messageCount }, (_, k) => `${id}:${k + 1}`),
    );
    expect(covered).toEqual(expected);
  });

  it('plans nothing for conversations without messages', () => {
    expect(planMessageChunks([{ id: 'a', messageCount: 0 }], 10)).toEqual([]);
  });
});

describe('exportBatchLines', () => {
  const conversation = (id: string): ExportedConversation =>
    ({ id, title: id, deleted_at: null }) as unknown as ExportedConversation;
  const message = (conversationId: string, seq: number): MessageResponse =>
    ({ id: `${conversationId}-${seq}`, conversation_id: conversationId, seq }) as MessageResponse;

  async function lines(
    conversations: ExportedConversation[],
    counts: Record<string, number>,
    maxRows: number,
  ): Promise<{ lines: Array<Record<string, unknown>>; fetches: number }> {
    const chunks = planMessageChunks(
      conversations.map(({ id }) => ({ id, messageCount: counts[id] ?? 0 })),
      maxRows,
    );
    let fetches = 0;
    const fetch = async (ranges: MessageRange[]): Promise<MessageResponse[]> => {
      fetches += 1;
      return ranges.flatMap((r) =>
        Array.from({ length: r.toSeq - r.fromSeq + 1 }, (_, k) =>
          message(r.conversationId, r.fromSeq + k),
        ),
      );
    };
    let text = '';
    for await (const chunk of exportBatchLines(conversations, chunks, fetch)) text += chunk;
    expect(text.endsWith('\n')).toBe(true);
    return {
      lines: text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
      fetches,
    };
  }

  it('writes each conversation followed by its messages in seq order, one fetch per chunk', async () => {
    const result = await lines(
      [conversation('a'), conversation('b'), conversation('c')],
      { a: 3, c: 4 },
      3,
    );
    expect(result.lines.map((line) => `${line.type}:${line.id}`)).toEqual([
      'conversation:a',
      'message:a-1',
      'message:a-2',
      'message:a-3',
      'conversation:b',
      'conversation:c',
      'message:c-1',
      'message:c-2',
      'message:c-3',
      'message:c-4',
    ]);
    expect(result.fetches).toBe(3);
  });

  it('keeps going when a range comes back short (a row missing from the middle)', async () => {
    const chunks = [
      [
        { conversationId: 'a', fromSeq: 1, toSeq: 3 },
        { conversationId: 'b', fromSeq: 1, toSeq: 1 },
      ],
    ];
    const fetch = async (): Promise<MessageResponse[]> => [
      message('a', 1),
      message('a', 3),
      message('b', 1),
    ];
    let text = '';
    for await (const chunk of exportBatchLines(
      [conversation('a'), conversation('b')],
      chunks,
      fetch,
    ))
      text += chunk;
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).id),
    ).toEqual(['a', 'a-1', 'a-3', 'b', 'b-1']);
  });

  it('starts with the export line', () => {
    expect(JSON.parse(exportHeaderLine(7, new Date('2026-12-01T00:00:00Z')))).toEqual({
      type: 'export',
      user_id: 7,
      exported_at: '2026-12-01T00:00:00.000Z',
      format_version: 1,
    });
  });
});
