export const AGENT_WRITE_SCOPE = 'messages:write:assistant';
/** Held by trusted services (the AI gateway) that name, per request, the user they act for. */
export const ACT_AS_SCOPE = 'conversations:act-as';

/**
 * Reads the agents' statistics across all users (an operator's view). A token with it may name
 * a service (an operator dashboard) instead of a user in its user claim.
 */
export const STATS_READ_SCOPE = 'stats:read';

/** Who a verified token says is calling. */
export type TokenPrincipal =
  | { kind: 'user'; id: number; scopes: ReadonlySet<string> }
  /**
   * A service: its user claim names the service, not a user. With `conversations:act-as` it acts
   * for the user each request names; without it (an operator dashboard with `stats:read`) it
   * acts for no user.
   */
  | { kind: 'service'; name: string; scopes: ReadonlySet<string> };

/** The user a request runs as: the caller, or the user a trusted service acts for. */
export interface AuthenticatedUser {
  id: number;
  scopes: ReadonlySet<string>;
  /** The service acting for the user, when one is. */
  service?: string;
}
