import { countStatement, filtersOf, orderKeyOf, pageStatement } from './conversation-list';

describe('filtersOf', () => {
  it('leaves archived conversations out of every list but the trash, unless asked', () => {
    expect(filtersOf({})).toEqual({ trashed: false, archived: false });
    expect(filtersOf({ archived: true })).toMatchObject({ trashed: false, archived: true });
    expect(filtersOf({ trashed: true })).toEqual({ trashed: true, archived: undefined });
    expect(filtersOf({ trashed: true, archived: false })).toMatchObject({ archived: false });
    expect(filtersOf({ pinned: true, tagKey: 'fta' })).toMatchObject({
      pinned: true,
      tagKey: 'fta',
    });
  });

  it('orders the trash by deleted_at and every other list by updated_at', () => {
    expect(orderKeyOf(filtersOf({ trashed: true }))).toBe('deleted_at');
    expect(orderKeyOf(filtersOf({ archived: true, pinned: true }))).toBe('updated_at');
  });
});

describe('pageStatement', () => {
  it("states the partial indexes' predicates literally, so the planner can use them", () => {
    const { sql, params } = pageStatement(7, filtersOf({ archived: true, pinned: true }), 30, {
      limit: 21,
    });
    expect(sql).toContain(
      'c.user_id = $1 AND c.is_active = true AND c.is_archived = true AND c.is_pinned = true',
    );
    expect(sql).toContain('ORDER BY c.updated_at DESC, c.id DESC LIMIT $2 OFFSET $3');
    expect(params).toEqual([7, 21, 0]);
  });

  it("matches a tag through the GIN index's predicate and binds the key as data", () => {
    const { sql, params } = pageStatement(7, filtersOf({ tagKey: "x' OR 1=1" }), 30, {
      limit: 5,
      offset: 10,
    });
    expect(sql).toContain("c.tag_keys <> '{}' AND c.tag_keys @> $2::text[]");
    expect(sql).not.toContain('OR 1=1');
    expect(params).toEqual([7, ["x' OR 1=1"], 5, 10]);
  });

  it('lists the restorable trash newest deleted first, continuing after a cursor', () => {
    const { sql, params } = pageStatement(7, filtersOf({ trashed: true }), 30, {
      limit: 3,
      after: { key: 'deleted_at', micros: '123', id: 'conv_1' },
    });
    expect(sql).toContain(
      "c.is_active = false AND c.deleted_at > statement_timestamp() - $2::int * interval '1 day'",
    );
    expect(sql).not.toContain('c.is_archived =');
    expect(sql).toContain('(c.deleted_at, c.id) <');
    expect(sql).toContain('ORDER BY c.deleted_at DESC, c.id DESC');
    expect(params).toEqual([7, 30, '123', 'conv_1', 3, 0]);
  });
});

describe('countStatement', () => {
  it('counts the default list as live minus archived (two index-only counts)', () => {
    const { sql, params } = countStatement(7, filtersOf({}), 30);
    expect(sql.replace(/\s+/g, ' ')).toBe(
      'SELECT (SELECT count(*) FROM conversations c WHERE c.user_id = $1 AND c.is_active = true) - (SELECT count(*) FROM conversations c WHERE c.user_id = $1 AND c.is_active = true AND c.is_archived = true) AS count',
    );
    expect(params).toEqual([7]);
  });

  it('counts any other filter with the conditions of its page', () => {
    const filters = filtersOf({ pinned: true, tagKey: 'fta' });
    const { sql, params } = countStatement(7, filters, 30);
    expect(sql).toBe(
      "SELECT count(*) AS count FROM conversations c WHERE c.user_id = $1 AND c.is_active = true AND c.is_archived = false AND c.is_pinned = true AND c.tag_keys <> '{}' AND c.tag_keys @> $2::text[]",
    );
    expect(params).toEqual([7, ['fta']]);
  });
});
