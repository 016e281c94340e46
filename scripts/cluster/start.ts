/**
 * cluster:start — servers first (reused or started), then the vendors, the first order-system instance alone (it
 * creates the schemas and seeds the demo data), every other process together, and the load balancer last, once
 * its backends answer. Waits until every process is healthy, printing what it waits for; a process that exits
 * meanwhile stops the start with one line naming it, and what this start had started is stopped again. On a cluster
 * that runs already, it starts only what is missing (a process killed or crashed), under its own name and port.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { haproxyConfig } from './haproxy-config.js';
import { type PlannedProcess, planCluster } from './plan.js';
import {
  type ClusterState,
  isRunning,
  lastLine,
  readState,
  type RecordedProcess,
  type Spawned,
  spawnDetached,
  writeState,
} from './processes.js';
import { loadOrCreateSecrets } from './secrets.js';
import { ensureHaproxy, ensureMysql, ensureRedis, ensureRocketMQ, portOpen, progress } from './servers.js';
import { REPO_DIR, type ClusterSettings } from './settings.js';
import { printStatus, clusterStatus, httpHealthy } from './status.js';
import { stopRecorded } from './stop.js';

const PROCESS_START_TIMEOUT_MS = 180_000;

export async function startCluster(settings: ClusterSettings): Promise<number> {
  const existing = readState(settings.dir);
  if (existing?.processes.some((p) => p.startedByCluster && isRunning(p))) return startMissing(settings, existing);
  const secrets = loadOrCreateSecrets(settings.dir, process.env);
  const plan = planCluster(settings, secrets);
  const orderflow = [plan.first, ...plan.rest];
  for (const { name, port } of [{ name: 'the load balancer (ORDERFLOW_CLUSTER_PORT)', port: settings.port }, plan.vendors, ...orderflow]) {
    if (await portOpen(settings.host, port))
      throw new Error(
        `port ${port} of ${name} is already in use on ${settings.host}: free it, or choose other ports (ORDERFLOW_CLUSTER_PORT, ORDERFLOW_CLUSTER_BASE_PORT)`,
      );
  }
  if (settings.run === 'dist') buildIfStale();

  const state: ClusterState = { publicUrl: plan.publicUrl, startedAt: new Date().toISOString(), processes: [], startedRocketMQ: false };
  const spawned: Spawned[] = [];
  const record = (process: RecordedProcess) => {
    state.processes.push(process);
    writeState(settings.dir, state);
  };
  try {
    state.startedRocketMQ = await ensureRocketMQ(settings.rocketmqEndpoints, settings.rocketmqNamesrv);
    writeState(settings.dir, state);
    for (const server of [await ensureMysql(settings.db, settings.dir), await ensureRedis(settings.redisUrl, settings.dir)])
      if (server) record(server);
    const haproxy = ensureHaproxy();

    const start = (planned: PlannedProcess) => {
      const child = launch(settings, planned);
      spawned.push(child);
      record(child);
      return child;
    };
    progress(`starting the vendors (${plan.vendors.url}) …`);
    await waitHealthy([start(plan.vendors)]);
    progress(`starting ${plan.first.name} alone: it creates the schemas and seeds the demo data …`);
    await waitHealthy([start(plan.first)]);
    progress(`starting ${plan.rest.length} more processes: ${plan.rest.map((p) => p.name).join(', ')} …`);
    await waitHealthy(plan.rest.map(start));

    const config = path.join(settings.dir, 'haproxy.cfg');
    const backends = (processes: PlannedProcess[]) => processes.map((p) => ({ name: p.name, host: settings.host, port: p.port }));
    fs.writeFileSync(
      config,
      haproxyConfig({
        host: settings.host,
        port: settings.port,
        order: backends(plan.orderBackends),
        analytics: backends(plan.analyticsBackends),
      }),
    );
    const check = spawnSync(haproxy, ['-c', '-q', '-f', config], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`lb: HAProxy refuses ${config}: ${(check.stderr || check.stdout).trim().split('\n')[0]}`);
    progress(`starting the load balancer (HAProxy) on ${plan.publicUrl} …`);
    const lb = launchBalancer(settings, plan.publicUrl, haproxy);
    spawned.push(lb);
    record(lb);
    await waitHealthy([lb]);
  } catch (error) {
    process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    progress('stopping what this start had started …');
    await stopRecorded(state, progress);
    return 1;
  }
  printStatus(await clusterStatus(settings));
  process.stdout.write(
    `\norderflow cluster is up: ${plan.publicUrl}/   (API ${plan.publicUrl}/api, load balancer's view ${plan.publicUrl}/lb/stats)\n` +
      `  users user1 … user100; their password (ORDERFLOW_SEED_PASSWORD) and the admin token in ${path.join(settings.dir, 'secrets.json')}\n` +
      `  logs in ${path.join(settings.dir, 'logs')}; npm run cluster:status [-- --json]; npm run cluster:stop\n`,
  );
  return 0;
}

/**
 * On a running cluster, start only the processes of the plan that are not running any more (killed, crashed) under
 * their recorded names and ports, and the load balancer with the configuration it had: the balancer puts an order
 * instance back once two health checks pass, and a consumer rejoins its group, which rebalances the queues. What runs
 * is left alone; a server the cluster had started (MariaDB, Redis) is not restarted here (stop and start again).
 */
async function startMissing(settings: ClusterSettings, state: ClusterState): Promise<number> {
  const plan = planCluster(settings, loadOrCreateSecrets(settings.dir, process.env));
  const alive = (name: string) => state.processes.some((p) => p.name === name && p.startedByCluster && isRunning(p));
  const missing = [plan.vendors, plan.first, ...plan.rest].filter((planned) => !alive(planned.name));
  const lbMissing = !alive('lb');
  if (missing.length === 0 && !lbMissing) {
    progress(`already running (${settings.dir}): every process is up`);
    printStatus(await clusterStatus(settings));
    return 0;
  }
  if (settings.run === 'dist') buildIfStale();
  const replace = (spawned: Spawned) => {
    state.processes = [...state.processes.filter((p) => p.name !== spawned.name), spawned];
    writeState(settings.dir, state);
    return spawned;
  };
  try {
    // The vendors first (the others call them), then the rest together.
    const vendors = missing.filter((p) => p.role === 'vendors');
    if (vendors.length > 0) {
      progress('starting the vendors again …');
      await waitHealthy(vendors.map((p) => replace(launch(settings, p))));
    }
    const rest = missing.filter((p) => p.role !== 'vendors');
    if (rest.length > 0) {
      progress(`starting what is missing: ${rest.map((p) => p.name).join(', ')} …`);
      await waitHealthy(rest.map((p) => replace(launch(settings, p))));
    }
    if (lbMissing) {
      progress(`starting the load balancer (HAProxy) again on ${plan.publicUrl} …`);
      await waitHealthy([replace(launchBalancer(settings, plan.publicUrl, ensureHaproxy()))]);
    }
  } catch (error) {
    // What runs stays running (it was healthy before); the one that failed is named.
    process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  printStatus(await clusterStatus(settings));
  return 0;
}

/** HAProxy with the cluster's configuration file, in the foreground of its own session (-db), logging to lb.log. */
function launchBalancer(settings: ClusterSettings, publicUrl: string, haproxy: string): Spawned {
  return spawnDetached({
    name: 'lb',
    role: 'lb',
    command: haproxy,
    args: ['-db', '-f', path.join(settings.dir, 'haproxy.cfg')],
    env: { PATH: process.env.PATH ?? '' },
    log: path.join(settings.dir, 'logs', 'lb.log'),
    url: publicUrl,
    cwd: settings.dir,
  });
}

/** The orderflow command for a planned process, its output in the cluster's logs. */
function launch(settings: ClusterSettings, planned: PlannedProcess): Spawned {
  const [command, prefix] =
    settings.run === 'dist'
      ? [process.execPath, [path.join(REPO_DIR, 'bin/orderflow.js')]]
      : [process.execPath, ['--import', 'tsx', path.join(REPO_DIR, 'src/cli.ts')]];
  // Only what a process needs from this shell (PATH, HOME, locale …): no ORDERFLOW_* of the caller's but those planned.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) =>
        !name.startsWith('ORDERFLOW_') && !['PORT', 'HOST', 'REDIS_URL', 'LOG_LEVEL'].includes(name) && !name.startsWith('ROCKETMQ_'),
    ),
  );
  return spawnDetached({
    name: planned.name,
    role: planned.role,
    command,
    args: [...prefix, ...planned.args],
    env: { ...inherited, ...planned.env } as Record<string, string>,
    log: path.join(settings.dir, 'logs', `${planned.name}.log`),
    url: planned.url,
    cwd: REPO_DIR,
  });
}

/** Waits until each answers its health check; one that exits first fails the start with its last line. */
async function waitHealthy(processes: Spawned[]): Promise<void> {
  const waiting = new Set(processes);
  let failure: Error | undefined;
  for (const process of processes) {
    void process.exited.then(({ code, signal }) => {
      if (waiting.has(process))
        failure ??= new Error(
          `${process.name} (${process.role}) exited with ${code ?? signal} during start-up: ${lastLine(process.log)} (log: ${process.log})`,
        );
    });
  }
  const started = Date.now();
  let reported = 0;
  while (waiting.size > 0) {
    if (failure) throw failure;
    await Promise.all(
      [...waiting].map(async (process) => {
        if (process.url && (await httpHealthy(process.url))) waiting.delete(process);
      }),
    );
    if (failure) throw failure;
    const elapsed = Date.now() - started;
    if (waiting.size > 0 && elapsed - reported >= 5_000) {
      reported = elapsed;
      progress(
        `  ${processes.length - waiting.size}/${processes.length} healthy after ${Math.round(elapsed / 1000)} s; waiting for ${[...waiting].map((p) => p.name).join(', ')}`,
      );
    }
    if (elapsed > PROCESS_START_TIMEOUT_MS) {
      throw new Error(
        `${[...waiting].map((p) => `${p.name} (log: ${p.log})`).join(', ')} not healthy after ${PROCESS_START_TIMEOUT_MS / 1000} s`,
      );
    }
    if (waiting.size > 0) await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** `dist` is what the processes run: built when missing or older than a source file (npm ci builds it too). */
function buildIfStale(): void {
  const cli = path.join(REPO_DIR, 'dist/cli.js');
  const builtAt = fs.existsSync(cli) ? fs.statSync(cli).mtimeMs : 0;
  const newest = newestMtime(path.join(REPO_DIR, 'src'));
  if (builtAt >= newest) return;
  progress(
    builtAt === 0 ? 'dist/ is missing: building (npm run build) …' : 'src/ changed since the last build: building (npm run build) …',
  );
  const result = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO_DIR, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('npm run build failed (its output is above)');
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(file));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  }
  return newest;
}
