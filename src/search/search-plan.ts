import type { SearchSort } from './dto/search-messages.dto';

/**
 * `index`: the GIN index on (user_id, search_terms), for a heavy user's rarer words.
 * `walk`: the user's messages newest first on (user_id, timestamp, seq), each checked against the
 * words, stopping as soon as enough are found: for small users, and for words with many matches.
 */
export type SearchPath = 'index' | 'walk';

/** Counting stops here: beyond it the total is reported as a lower bound. */
export const COUNT_CAP = 1000;
/**
 * With more matches than the cap, relevance is ranked over this many of the newest: the walk that
 * finds them costs in proportion (measured: about 70 ms for 1,000 on a 100k-message user).
 */
export const RELEVANCE_WINDOW = 200;
/** Users with at most this many messages are searched by reading all of them: faster than the index. */
export const SMALL_USER_MESSAGES = 5000;
/**
 * The cost bound of one search, whatever its words: the candidates whose text is checked for a
 * word the index terms cannot decide, and the messages a walk reads. Past either, the search
 * stops and says so (`exhaustive: false`, the total a lower bound).
 */
export const RECHECK_CAP = 5000;
export const WALK_BUDGET = 10_000;
/** Relevance counts the words' occurrences in this much of each message's text. */
export const SCORED_CHARACTERS = 4000;

/**
 * Each path pinned with planner settings, whatever the planner estimates: its guesses for array
 * containment are the same for a word in every message and for a word in ten, and were seen to pick
 * a full-table scan for rare words and a read of all the user's rows for common ones.
 */
const PLANNER_SETTINGS: Record<SearchPath, string> = {
  // Only bitmap scans can use the GIN index.
  index: 'SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off',
  // Newest first on (user_id, timestamp, seq), stopping early.
  walk: 'SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off',
};

export interface SearchStep {
  path: SearchPath;
  plannerSettings: string;
}

export interface CountStep extends SearchStep {
  /** Matches counted at most: one past the cap. */
  matchLimit: number;
  /**
   * Candidates (messages holding every index term) whose text is checked at most, when a word
   * needs the check; null when the terms decide every word.
   */
  recheckLimit: number | null;
}

export interface PageStep extends SearchStep {
  /** How many of the newest matches the walk collects before ranking; null: every match (index). */
  candidateLimit: number | null;
  /** The newest messages the walk reads at most; null on the index path. */
  walkBudget: number | null;
}

/** What a count read: the matches (capped), and whether the recheck bound cut it short. */
export interface Counted {
  matches: number;
  cut: boolean;
}

export interface SearchOutcome {
  total_count: number;
  total_count_exact: boolean;
  exhaustive: boolean;
}

export interface SearchPlan {
  /** The user's messages are counted no further than this, to tell a small user from a heavy one. */
  smallUserLimit: number;
  count(smallUser: boolean): CountStep;
  /** How to read the page once the capped count is known; null when nothing matched. */
  page(countStep: CountStep, counted: Counted): PageStep | null;
  /** The totals, and whether the bounds left anything unexamined (`found`: the page's candidates). */
  outcome(counted: Counted, pageStep: PageStep | null, found: number): SearchOutcome;
}

/**
 * Every decision of a search's execution, from real counts rather than planner estimates: a small
 * user is read whole; a heavy user counts through the index, and walks its newest messages when the
 * words match too often for the index to pay; and no step reads past the cost bound.
 */
export function planSearch(request: {
  sort: SearchSort;
  limit: number;
  offset: number;
  /** Whether some word must be checked in the text: the index terms do not decide it. */
  recheck: boolean;
}): SearchPlan {
  const step = (path: SearchPath): SearchStep => ({
    path,
    plannerSettings: PLANNER_SETTINGS[path],
  });
  // A small user's walk reads all their messages; a heavy user's, the newest of them.
  const walkBudget = (countStep: CountStep): number =>
    countStep.path === 'walk' ? SMALL_USER_MESSAGES : WALK_BUDGET;
  return {
    smallUserLimit: SMALL_USER_MESSAGES + 1,
    count: (smallUser) => ({
      ...step(smallUser ? 'walk' : 'index'),
      matchLimit: COUNT_CAP + 1,
      recheckLimit: request.recheck ? RECHECK_CAP : null,
    }),
    page(countStep, { matches }) {
      if (matches === 0) return null;
      if (countStep.path === 'index' && matches <= COUNT_CAP) {
        return { ...step('index'), candidateLimit: null, walkBudget: null };
      }
      // Few matches: all of them (at most the cap). Many: the newest, as many as ranking or the page needs.
      const window =
        matches <= COUNT_CAP ? COUNT_CAP : request.sort === 'relevance' ? RELEVANCE_WINDOW : 0;
      return {
        ...step('walk'),
        candidateLimit: Math.max(window, request.offset + request.limit),
        walkBudget: walkBudget(countStep),
      };
    },
    outcome({ matches, cut }, pageStep, found) {
      // A walk that found fewer candidates than it wanted, and fewer than were counted, ran out.
      const walkCut =
        pageStep?.candidateLimit != null &&
        found < Math.min(pageStep.candidateLimit, matches, COUNT_CAP);
      return {
        total_count: Math.min(matches, COUNT_CAP),
        total_count_exact: matches <= COUNT_CAP && !cut,
        exhaustive: !cut && !walkCut,
      };
    },
  };
}
