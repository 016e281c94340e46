/**
 * The `orderflow` command. `orderflow start [--systems order,push] [--port 3000] …`: every flag
 * mirrors an environment variable (config.ts). Bad configuration prints one clear line, no stack.
 */
import { startApp } from './app.js';
import { ConfigError, FLAG_TO_VARIABLE, loadConfig } from './config.js';

const HELP = `usage: orderflow start [options]

Starts orderflow: every system in one process on the embedded defaults, or the systems named.

options (each mirrors an environment variable):
${Object.entries(FLAG_TO_VARIABLE)
  .map(([flag, variable]) => `  --${flag.padEnd(20)} ${variable}`)
  .join('\n')}
`;

export function parseFlags(argv: string[]): { command?: string; flags: Record<string, string> } {
  const flags: Record<string, string> = {};
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (command === undefined) command = arg;
      else throw new ConfigError(arg, 'unexpected argument');
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`--${name}`, 'needs a value');
    flags[name] = value;
  }
  return { command, flags };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    process.stdout.write(HELP);
    return;
  }
  const { command, flags } = parseFlags(argv);
  if (command !== 'start') throw new ConfigError(command ?? '(none)', "unknown command; try 'orderflow start' or 'orderflow --help'");
  const config = loadConfig(process.env, flags);
  const app = await startApp(config);
  const lines = [
    `orderflow is up (${config.systems.join(', ')}; mq ${config.mq}, db ${config.db === 'sqlite' ? 'sqlite' : 'mysql'}, flow ${config.flow})`,
    `  dashboard  ${app.url}/   (shop demo and operations)`,
    `  API        ${app.url}/api   (OpenAPI: ${app.url}/docs)`,
    `  health     ${app.url}/api/health   metrics: ${app.url}/metrics`,
    `  data       ${config.dataDir}`,
  ];
  if (app.thirdParties) lines.push(`  vendors    sms ${app.thirdParties.urls.sms}, logistics ${app.thirdParties.urls.logistics}, payment ${app.thirdParties.urls.payment}`);
  if (config.seedDemo) lines.push('  demo users user1 … user100, password "demo"');
  if (config.adminTokenIsDefault) lines.push(`  admin      token "${config.adminToken}" (demo default: set ORDERFLOW_ADMIN_TOKEN in production)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down: finishing in-flight requests and messages');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`orderflow: bad configuration: ${error.message}\n`);
    process.exit(2);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`orderflow: could not start: ${message}\n`);
  process.exit(1);
});
