import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';

/**
 * Runs an embedded PostgreSQL for a test run on a machine without one, in a process of its own
 * (Jest's global setup cannot load the ESM binaries package). Prints its endpoint as one JSON
 * line, then stops the server when told to on stdin closing or SIGTERM.
 */
async function main(): Promise<void> {
  const [dataDir] = process.argv.slice(2);
  const server = await startEmbeddedPostgres(dataDir, 'postgres', () => undefined);
  const stop = async (): Promise<void> => {
    await server.stop();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.stdin.once('end', () => void stop());
  process.stdin.resume();
  console.log(JSON.stringify(server.endpoint));
}

main().catch((error: unknown) => {
  console.error(String(error));
  process.exit(1);
});
