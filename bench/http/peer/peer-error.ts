/** An answer other than success: Fastify's default error handler sends `statusCode` as the status. */
export class PeerError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}
