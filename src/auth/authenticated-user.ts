export const AGENT_WRITE_SCOPE = 'messages:write:assistant';

/** Who is calling, as the verified token says. */
export interface AuthenticatedUser {
  id: number;
  scopes: ReadonlySet<string>;
}
