import { SignJWT } from 'jose';
import { parseArgs } from 'node:util';
import { ACT_AS_SCOPE, STATS_READ_SCOPE } from '../auth/authenticated-user';
import { ConfigError, loadConfig } from '../config/load-config';

const USAGE = `usage: npm run token -- --user N [--scope S] [--expires 1h]
       npm run token -- --scope '${ACT_AS_SCOPE} ...' [--service NAME] [--expires 1h]
       npm run token -- --scope ${STATS_READ_SCOPE} [--service NAME] [--expires 1h]
  a user's token, a trusted service's (the AI gateway's), which names the user it acts for
  with user_id on each request, or an operator dashboard's, which reads the agents' stats`;

const DEFAULT_SERVICE = 'ai-gateway';
const DEFAULT_DASHBOARD = 'dashboard';

/** Prints a token signed with the configured HS256 key, for local calls with curl or the docs UI. */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      scope: { type: 'string' },
      service: { type: 'string' },
      expires: { type: 'string', default: '1h' },
    },
  });
  const scopes = (values.scope ?? '').split(' ');
  const actsAs = scopes.includes(ACT_AS_SCOPE);
  // A stats:read token without --user names the dashboard it belongs to, not a user.
  const dashboard = !actsAs && scopes.includes(STATS_READ_SCOPE) && values.user === undefined;
  const subject = actsAs
    ? (values.service ?? DEFAULT_SERVICE)
    : dashboard
      ? (values.service ?? DEFAULT_DASHBOARD)
      : values.user;
  const valid =
    actsAs || dashboard
      ? values.user === undefined &&
        /^[\x21-\x7e]{1,100}$/.test(subject ?? '') &&
        // A dashboard named by digits would read as that user.
        !(dashboard && /^\d+$/.test(subject ?? ''))
      : values.service === undefined && /^[1-9]\d{0,9}$/.test(subject ?? '');
  if (!valid) {
    console.error(USAGE);
    return 2;
  }
  const { auth } = loadConfig();
  if (!auth.secret) {
    console.error(
      'AUTH_JWT_PUBLIC_KEY is set: tokens come from the identity provider that holds the private key',
    );
    return 1;
  }
  // The user (or the service) goes in the claim the service reads it from.
  const claims: Record<string, string> = values.scope ? { scope: values.scope } : {};
  if (auth.userClaim !== 'sub') claims[auth.userClaim] = subject!;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(values.expires);
  if (auth.userClaim === 'sub') jwt = jwt.setSubject(subject!);
  if (auth.issuer) jwt = jwt.setIssuer(auth.issuer);
  if (auth.audience) jwt = jwt.setAudience(auth.audience);
  console.log(await jwt.sign(new TextEncoder().encode(auth.secret)));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : String(error));
    process.exit(1);
  },
);
