import { SetMetadata } from '@nestjs/common';

export const READS_ONLY = Symbol('READS_ONLY');

/**
 * A route that only reads whatever its method (a search sent as POST): it may read from a replica,
 * and records no write.
 */
export const ReadsOnly = (): MethodDecorator => SetMetadata(READS_ONLY, true);
