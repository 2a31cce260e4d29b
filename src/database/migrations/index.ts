import { InitialSchema1795746373500 } from './1795746373500-InitialSchema';

// Listed explicitly, oldest first: the same list runs under ts-node (CLI, tests) and compiled.
export const MIGRATIONS = [InitialSchema1795746373500];
