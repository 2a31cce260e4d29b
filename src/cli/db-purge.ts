import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config';
import { describePurge, PurgeService } from '../retention/purge.service';
import { runCommand, withOperatorContext } from './operator-context';

const USAGE = `usage: npm run db:purge [-- --dry-run]
  runs the purge and retention job once (as each replica does every PURGE_INTERVAL_SECONDS):
  conversations not updated for RETENTION_DAYS move to the trash, conversations in the trash for
  over TRASH_RETENTION_DAYS are deleted with their rows, expired idempotency records go
  --dry-run  print what it would move and delete, and write nothing`;

async function main(argv: string[]): Promise<number> {
  let dryRun: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { 'dry-run': { type: 'boolean' } },
      strict: true,
    });
    dryRun = values['dry-run'] ?? false;
  } catch {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const report = await withOperatorContext(config, (context) =>
    context.get(PurgeService).run({ dryRun }),
  );
  console.log(describePurge(report));
  return 0;
}

runCommand('purge', () => main(process.argv.slice(2)));
