/**
 * The `orderflow` command. `orderflow start [--systems order,push] [--port 3000] …`: every flag
 * mirrors an environment variable (config.ts). `orderflow vendors [--port 3900]`: the simulated
 * vendors as a process of their own. Bad configuration prints one clear line, no stack.
 */
import { ConfigError, DEMO_PASSWORD, FLAG_TO_VARIABLE, loadConfig, loadVendorsConfig, VENDORS_FLAG_TO_VARIABLE } from './config.js';
import { exitGracefullyOnSignals } from './graceful-shutdown.js';

/** A shutdown that has not finished by then is abandoned: a stuck socket must not keep a stopped process alive. */
const SHUTDOWN_LIMIT_MS = 10_000;

const flagList = (table: Record<string, string>) =>
  Object.entries(table)
    .map(([flag, variable]) => `  --${flag.padEnd(20)} ${variable}`)
    .join('\n');

const HELP = `usage: orderflow start [--demo] [options]
       orderflow vendors [--demo] [--port 3900] [--host 127.0.0.1]

orderflow start: every system in one process on the embedded defaults, or the systems named.
--demo (what \`npm start\` runs) allows the demo admin token, the demo users and a token secret kept in the
data dir; without it orderflow needs ORDERFLOW_ADMIN_TOKEN and ORDERFLOW_TOKEN_SECRET, and seeds users only
with ORDERFLOW_SEED_PASSWORD.

options (each mirrors an environment variable):
${flagList(FLAG_TO_VARIABLE)}

orderflow vendors: the SMS vendor, logistics company and payment provider simulators as a process of
their own (admin API on --port, the vendors on the next three ports), for the orderflow processes of a
deployment to share through ORDERFLOW_SMS_URL, ORDERFLOW_LOGISTICS_URL, ORDERFLOW_PAYMENT_URL and
ORDERFLOW_VENDORS_URL.

options:
${flagList(VENDORS_FLAG_TO_VARIABLE)}
`;

/** Flags that may stand alone. */
const SWITCHES = new Set(['demo']);
const SWITCH_VALUES = /^(1|0|true|false|yes|no|on|off)$/i;

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
    // `--demo` alone is `--demo true`; a value after it is taken only if it is one a switch takes.
    if (SWITCHES.has(name) && inline === undefined && !SWITCH_VALUES.test(argv[i + 1] ?? '')) {
      flags[name] = 'true';
      continue;
    }
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
  if (command === 'vendors') return runVendors(flags);
  if (command !== 'start')
    throw new ConfigError(command ?? '(none)', "unknown command; try 'orderflow start', 'orderflow vendors' or 'orderflow --help'");
  const config = loadConfig(process.env, flags);
  // Imported once the command is known: `orderflow vendors` and a bad setting need none of the systems.
  const { startApp } = await import('./app.js');
  const app = await startApp(config);
  const lines = [
    `orderflow is up (${config.systems.join(', ')}; mq ${config.mq}, db ${config.db === 'sqlite' ? 'sqlite' : 'mysql'}, flow ${config.flow})`,
    `  dashboard  ${app.url}/   (shop demo and operations)`,
    `  API        ${app.url}/api   (OpenAPI: ${app.url}/docs)`,
    `  health     ${app.url}/api/health   metrics: ${app.url}/metrics`,
    `  data       ${config.dataDir}`,
  ];
  if (app.thirdParties) {
    const { urls, knobsAt } = app.thirdParties;
    const where =
      knobsAt === 'in-process' ? 'simulated in this process' : knobsAt === 'none' ? 'external, no knobs' : `external, knobs at ${knobsAt}`;
    lines.push(`  vendors    sms ${urls.sms}, logistics ${urls.logistics}, payment ${urls.payment} (${where})`);
  }
  if (config.seedDemo) {
    const password =
      config.demo && config.seedPassword === DEMO_PASSWORD ? `password "${DEMO_PASSWORD}"` : 'password from ORDERFLOW_SEED_PASSWORD';
    lines.push(`  demo users user1 … user${config.seedUsers}, ${password}`);
  }
  if (config.adminTokenIsDefault)
    lines.push(`  admin      token "${config.adminToken}" (the demo's: outside the demo, ORDERFLOW_ADMIN_TOKEN is required)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  exitGracefullyOnSignals({ close: () => app.close(), stillRunning: () => app.stillClosing(), logger: app.logger });
}

async function runVendors(flags: Record<string, string>): Promise<void> {
  const config = loadVendorsConfig(process.env, flags);
  const { startVendorsApp } = await import('./vendors-app.js');
  const vendors = await startVendorsApp(config);
  const { urls, adminUrl } = vendors;
  const keyed = Object.keys(config.apiKeys);
  const lines = [
    'orderflow vendors are up (simulated SMS vendor, logistics company and payment provider)',
    `  sms        ${urls.sms}`,
    `  logistics  ${urls.logistics}`,
    `  payment    ${urls.payment}`,
    `  knobs      ${adminUrl}/api/admin/third-parties/{sms,logistics,payment}   (GET knobs and counters, PUT knobs; admin token)`,
    `  API keys   ${keyed.length === 0 ? 'none required' : `required by ${keyed.join(', ')}`}`,
  ];
  if (config.adminTokenIsDefault)
    lines.push(`  admin      token "${config.adminToken}" (demo default: set the deployment's ORDERFLOW_ADMIN_TOKEN)`);
  lines.push(
    'point every orderflow process at them with:',
    `  ORDERFLOW_SMS_URL=${urls.sms} ORDERFLOW_LOGISTICS_URL=${urls.logistics} ORDERFLOW_PAYMENT_URL=${urls.payment} ORDERFLOW_VENDORS_URL=${adminUrl}`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  // The same bounded stop as `orderflow start`: the first signal closes, a second one exits at once.
  exitGracefullyOnSignals({
    close: () => vendors.close(),
    stillRunning: () => "the vendors' HTTP servers",
    logger: vendors.logger,
    timeoutMs: SHUTDOWN_LIMIT_MS,
  });
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
