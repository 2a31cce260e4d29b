import { parseArgs } from 'node:util';
import { INT32_MAX } from '../common/limits';
import { loadConfig } from '../config/load-config';
import { ErasureService } from '../retention/erasure.service';
import { runCommand, withOperatorContext } from './operator-context';

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

runCommand('erasure', () => main(process.argv.slice(2)));
