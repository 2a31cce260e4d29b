import { InitialSchema1795746373500 } from './1795746373500-InitialSchema';
import { SearchTerms1795747915161 } from './1795747915161-SearchTerms';
import { SearchWalkOrder1795749988468 } from './1795749988468-SearchWalkOrder';
import { CacheFence1796121193514 } from './1796121193514-CacheFence';
import { StreamingMessages1796122573747 } from './1796122573747-StreamingMessages';

// Listed explicitly, oldest first: the same list runs under ts-node (CLI, tests) and compiled.
export const MIGRATIONS = [
  InitialSchema1795746373500,
  SearchTerms1795747915161,
  SearchWalkOrder1795749988468,
  CacheFence1796121193514,
  StreamingMessages1796122573747,
];
