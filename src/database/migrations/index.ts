import { InitialSchema1795746373500 } from './1795746373500-InitialSchema';
import { SearchTerms1795747915161 } from './1795747915161-SearchTerms';
import { SearchWalkOrder1795749988468 } from './1795749988468-SearchWalkOrder';
import { MessageTree1796120293735 } from './1796120293735-MessageTree';
import { ConversationLifecycle1796120627650 } from './1796120627650-ConversationLifecycle';
import { FeedbackUsageAgentStats1796120777314 } from './1796120777314-FeedbackUsageAgentStats';
import { CacheFence1796121193514 } from './1796121193514-CacheFence';
import { StreamingMessages1796122573747 } from './1796122573747-StreamingMessages';

// Listed explicitly, oldest first: the same list runs under ts-node (CLI, tests) and compiled.
export const MIGRATIONS = [
  InitialSchema1795746373500,
  SearchTerms1795747915161,
  SearchWalkOrder1795749988468,
  MessageTree1796120293735,
  ConversationLifecycle1796120627650,
  FeedbackUsageAgentStats1796120777314,
  CacheFence1796121193514,
  StreamingMessages1796122573747,
];
