import { COUNT_CAP, planSearch, RELEVANCE_WINDOW, SMALL_USER_MESSAGES } from './search-plan';

const relevance = planSearch({ sort: 'relevance', limit: 20, offset: 0 });
const recent = planSearch({ sort: 'recent', limit: 20, offset: 0 });

describe('planSearch', () => {
  it('counts a small user by reading their messages, a heavy one through the index', () => {
    expect(relevance.smallUserLimit).toBe(SMALL_USER_MESSAGES + 1);
    expect(relevance.countLimit).toBe(COUNT_CAP + 1);
    expect(relevance.count(true).path).toBe('walk');
    expect(relevance.count(false).path).toBe('index');
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
    expect(relevance.page(relevance.count(false), 0)).toBeNull();
  });

  it('ranks every match through the index when a heavy user has at most the cap', () => {
    expect(relevance.page(relevance.count(false), COUNT_CAP)).toMatchObject({
      path: 'index',
      candidateLimit: null,
    });
  });

  it("walks a small user's matches, all of them up to the cap", () => {
    expect(relevance.page(relevance.count(true), 3)).toMatchObject({
      path: 'walk',
      candidateLimit: COUNT_CAP,
    });
  });

  it('walks the newest matches beyond the cap: a window for relevance, the page for recent', () => {
    expect(relevance.page(relevance.count(false), COUNT_CAP + 1)).toMatchObject({
      path: 'walk',
      candidateLimit: RELEVANCE_WINDOW,
    });
    expect(recent.page(recent.count(false), COUNT_CAP + 1)?.candidateLimit).toBe(20);
    const deep = planSearch({ sort: 'relevance', limit: 100, offset: 500 });
    expect(deep.page(deep.count(false), COUNT_CAP + 1)?.candidateLimit).toBe(600);
  });

  it('reports the total exactly up to the cap and as a lower bound beyond', () => {
    expect(relevance.total(COUNT_CAP)).toEqual({ total_count: COUNT_CAP, total_count_exact: true });
    expect(relevance.total(COUNT_CAP + 1)).toEqual({
      total_count: COUNT_CAP,
      total_count_exact: false,
    });
  });
});
