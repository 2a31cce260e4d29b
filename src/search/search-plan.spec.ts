import {
  COUNT_CAP,
  planSearch,
  RECHECK_CAP,
  RELEVANCE_WINDOW,
  SMALL_USER_MESSAGES,
  WALK_BUDGET,
} from './search-plan';

const relevance = planSearch({ sort: 'relevance', limit: 20, offset: 0, recheck: false });
const recent = planSearch({ sort: 'recent', limit: 20, offset: 0, recheck: false });
const checked = planSearch({ sort: 'relevance', limit: 20, offset: 0, recheck: true });
const counted = (matches: number, cut = false): { matches: number; cut: boolean } => ({
  matches,
  cut,
});

describe('planSearch', () => {
  it('counts a small user by reading their messages, a heavy one through the index', () => {
    expect(relevance.smallUserLimit).toBe(SMALL_USER_MESSAGES + 1);
    expect(relevance.count(true).path).toBe('walk');
    expect(relevance.count(false)).toMatchObject({
      path: 'index',
      matchLimit: COUNT_CAP + 1,
      recheckLimit: null,
    });
  });

  it('bounds the candidates whose text is checked when a word needs the check', () => {
    expect(checked.count(false).recheckLimit).toBe(RECHECK_CAP);
    expect(RECHECK_CAP).toBeGreaterThanOrEqual(SMALL_USER_MESSAGES);
  });

  it('pins each path with its planner settings', () => {
    expect(relevance.count(false).plannerSettings).toBe(
      'SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off',
    );
    expect(relevance.count(true).plannerSettings).toBe(
      'SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off',
    );
  });

  it('reads no page when nothing matched', () => {
    expect(relevance.page(relevance.count(false), counted(0))).toBeNull();
  });

  it('ranks every match through the index when a heavy user has at most the cap', () => {
    expect(relevance.page(relevance.count(false), counted(COUNT_CAP))).toEqual(
      expect.objectContaining({ path: 'index', candidateLimit: null, walkBudget: null }),
    );
  });

  it("walks all of a small user's messages for their matches, up to the cap", () => {
    expect(relevance.page(relevance.count(true), counted(3))).toMatchObject({
      path: 'walk',
      candidateLimit: COUNT_CAP,
      walkBudget: SMALL_USER_MESSAGES,
    });
  });

  it('walks the newest matches beyond the cap, within the walk budget: a window for relevance, the page for recent', () => {
    expect(relevance.page(relevance.count(false), counted(COUNT_CAP + 1))).toMatchObject({
      path: 'walk',
      candidateLimit: RELEVANCE_WINDOW,
      walkBudget: WALK_BUDGET,
    });
    expect(recent.page(recent.count(false), counted(COUNT_CAP + 1))?.candidateLimit).toBe(20);
    const deep = planSearch({ sort: 'relevance', limit: 100, offset: 500, recheck: false });
    expect(deep.page(deep.count(false), counted(COUNT_CAP + 1))?.candidateLimit).toBe(600);
  });

  it('reports the total exactly up to the cap, as a lower bound beyond, and when a bound cut the search', () => {
    const index = relevance.page(relevance.count(false), counted(COUNT_CAP));
    expect(relevance.outcome(counted(COUNT_CAP), index, COUNT_CAP)).toEqual({
      total_count: COUNT_CAP,
      total_count_exact: true,
      exhaustive: true,
    });
    expect(relevance.outcome(counted(COUNT_CAP + 1), null, 0)).toMatchObject({
      total_count: COUNT_CAP,
      total_count_exact: false,
    });
    expect(checked.outcome(counted(12, true), null, 0)).toEqual({
      total_count: 12,
      total_count_exact: false,
      exhaustive: false,
    });
  });

  it('says a walk that ran out of budget before finding what it wanted was not exhaustive', () => {
    const walk = relevance.page(relevance.count(false), counted(COUNT_CAP + 1));
    expect(relevance.outcome(counted(COUNT_CAP + 1), walk, RELEVANCE_WINDOW).exhaustive).toBe(true);
    expect(relevance.outcome(counted(COUNT_CAP + 1), walk, 57).exhaustive).toBe(false);
    const small = relevance.page(relevance.count(true), counted(3));
    expect(relevance.outcome(counted(3), small, 3).exhaustive).toBe(true);
  });
});
