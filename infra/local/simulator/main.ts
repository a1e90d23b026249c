/**
 * CLI: starts the simulator and prints its URL and the credentials it accepts, as
 * .env lines the client and the CLI read. Stops on Ctrl-C.
 *
 * npx tsx infra/local/simulator/main.ts --port=8787 --live --seed=1 --faults=500:0.05
 */
import { CliArgsError, parseCliArgs, USAGE } from './cliArgs.js';
import { startSimulator, SimulatorOptionsError, FaultConfigError } from './index.js';

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof CliArgsError)) throw error;
    process.stderr.write(`simulator: ${error.message}\nRun with --help for the flags.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let simulator;
  try {
    simulator = await startSimulator(parsed.options);
  } catch (error) {
    if (error instanceof SimulatorOptionsError || error instanceof FaultConfigError) {
      process.stderr.write(`simulator: ${error.message}\n`);
      return 2;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      process.stderr.write(`simulator: port ${parsed.options.port} is in use; pick another with --port=N (0 = any free port)\n`);
      return 1;
    }
    throw error;
  }
  const { records } = simulator.stats();
  const live = parsed.options.live === undefined ? 'off' : 'on';
  process.stdout.write(
    [
      `ConveYour simulator listening on ${simulator.url} (seed ${parsed.options.seed ?? 1}, live ${live}, ${Object.entries(records).map(([c, n]) => `${c} ${n}`).join(', ')})`,
      `CONVEYOUR_BASE_URL=${simulator.url}`,
      `CONVEYOUR_APPKEY=${simulator.credentials.appkey}`,
      `CONVEYOUR_TOKEN=${simulator.credentials.token}`,
      '',
    ].join('\n'),
  );
  const stop = (): void => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return -1;
}

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
