import { InitialSchema1795746373500 } from './1795746373500-InitialSchema';
import { SearchTerms1795747915161 } from './1795747915161-SearchTerms';

// Listed explicitly, oldest first: the same list runs under ts-node (CLI, tests) and compiled.
export const MIGRATIONS = [InitialSchema1795746373500, SearchTerms1795747915161];
