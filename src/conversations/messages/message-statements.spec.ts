import {
  insertMessagesStatement,
  MESSAGE_INSERT_COLUMNS,
  messageWindowStatement,
} from './message-statements';

describe('message statements', () => {
  it('numbers the parameters of a multi-row insert row after row', () => {
    const sql = insertMessagesStatement(2);
    const width = MESSAGE_INSERT_COLUMNS.length;
    const row = (first: number): string =>
      `(${Array.from({ length: width }, (_, i) => `$${first + i}`).join(', ')})`;
    expect(sql).toContain(`VALUES ${row(1)}, ${row(width + 1)}`);
    expect(sql).not.toContain(`$${2 * width + 1}`);
  });

  it('names the owner in every window and the active branch as a literal only when asked', () => {
    for (const kind of ['offset', 'after', 'before'] as const) {
      expect(messageWindowStatement(kind, 'active')).toContain(
        'm.conversation_id = $1 AND m.user_id = $2 AND m.on_active_branch = true',
      );
      expect(messageWindowStatement(kind, 'all')).not.toContain('on_active_branch = true');
    }
  });

  it('reads newest first only for a window before a seq', () => {
    expect(messageWindowStatement('before', 'active')).toMatch(
      /m\.seq < \$3 ORDER BY m\.seq DESC LIMIT \$4$/,
    );
    expect(messageWindowStatement('after', 'active')).toMatch(
      /m\.seq > \$3 ORDER BY m\.seq LIMIT \$4$/,
    );
    expect(messageWindowStatement('offset', 'all')).toMatch(
      /ORDER BY m\.seq LIMIT \$3 OFFSET \$4$/,
    );
  });
});
