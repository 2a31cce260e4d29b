import { InitialSchema1795746373500 } from './1795746373500-InitialSchema';
import { SearchTerms1795747915161 } from './1795747915161-SearchTerms';
import { SearchWalkOrder1795749988468 } from './1795749988468-SearchWalkOrder';
import { ConversationLifecycle1796120627650 } from './1796120627650-ConversationLifecycle';

// Listed explicitly, oldest first: the same list runs under ts-node (CLI, tests) and compiled.
export const MIGRATIONS = [
  InitialSchema1795746373500,
  SearchTerms1795747915161,
  SearchWalkOrder1795749988468,
  ConversationLifecycle1796120627650,
];
