export const AGENT_WRITE_SCOPE = 'messages:write:assistant';
/** Held by trusted services (the AI gateway) that name, per request, the user they act for. */
export const ACT_AS_SCOPE = 'conversations:act-as';

/** Who a verified token says is calling. */
export type TokenPrincipal =
  | { kind: 'user'; id: number; scopes: ReadonlySet<string> }
  /** A trusted service: its user claim names the service, not a user. */
  | { kind: 'service'; name: string; scopes: ReadonlySet<string> };

/** The user a request runs as: the caller, or the user a trusted service acts for. */
export interface AuthenticatedUser {
  id: number;
  scopes: ReadonlySet<string>;
  /** The service acting for the user, when one is. */
  service?: string;
}
