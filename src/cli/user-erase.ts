import { parseArgs } from 'node:util';
import { INT32_MAX } from '../common/limits';
import { ConfigError, loadConfig } from '../config/load-config';
import { describeConnectionFailure, isConnectionFailure } from '../database/database-errors';
import { ErasureService } from '../retention/erasure.service';
import { withOperatorContext } from './operator-context';

const USAGE = `usage: npm run user:erase -- --user N
  erases everything stored for user N, for good (conversations in every state, messages,
  feedback, idempotency records, Redis keys), and prints the receipt as JSON`;

async function main(argv: string[]): Promise<number> {
  let userId: number;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { user: { type: 'string' } },
      strict: true,
    });
    userId = Number(values.user);
    if (!/^\d{1,10}$/.test(values.user ?? '') || userId < 1 || userId > INT32_MAX)
      throw new Error();
  } catch {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const receipt = await withOperatorContext(config, (context) =>
    context.get(ErasureService).erase(userId),
  );
  console.log(JSON.stringify(receipt));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) console.error(error.message);
    else if (isConnectionFailure(error))
      console.error(`cannot use PostgreSQL: ${describeConnectionFailure(error)}`);
    else console.error(`erasure failed: ${String((error as Error).message ?? error)}`);
    process.exit(1);
  },
);
