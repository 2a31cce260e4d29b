import { SignJWT } from 'jose';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load-config';

const USAGE = 'usage: npm run token -- --user N [--scope S] [--expires 1h]';

/** Prints a token signed with the configured HS256 key, for local calls with curl or the docs UI. */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string' },
      scope: { type: 'string' },
      expires: { type: 'string', default: '1h' },
    },
  });
  if (!values.user || !/^[1-9]\d{0,9}$/.test(values.user)) {
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
  let jwt = new SignJWT(values.scope ? { scope: values.scope } : {})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(values.user)
    .setIssuedAt()
    .setExpirationTime(values.expires);
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
