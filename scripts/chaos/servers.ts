import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { ChaosSetupError } from './load.js';
import { type Child, freePort, ROOT, spawnChild, timeUntil } from './processes.js';

/** A server of the run's own (never the shared one): started, SIGKILLed and started again on the same data. */
export interface PrivateServer {
  name: string;
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs a command to its end; its output in the error if it fails. */
export function run(command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new ChaosSetupError(`${command} ${args.join(' ')} exited with ${code}:\n${output.slice(-4_000)}`)),
    );
  });
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(!!socket.end()));
    socket.once('error', () => resolve(false));
  });

async function killAndWait(child: Child | undefined): Promise<void> {
  child?.signal('SIGKILL');
  await child?.ended;
}

/** A MariaDB server of its own in `<dir>/mariadb` (no grant tables: root without a password, loopback only). */
export async function privateMariadb(dir: string): Promise<PrivateServer> {
  const home = path.join(dir, 'mariadb');
  const datadir = path.join(home, 'data');
  fs.mkdirSync(home, { recursive: true });
  if (!fs.existsSync(path.join(datadir, 'mysql')))
    await run('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${datadir}`,
      '--auth-root-authentication-method=normal',
      '--user=root',
      '--skip-test-db',
    ]);
  const port = await freePort();
  let child: Child | undefined;
  const server: PrivateServer = {
    name: 'MariaDB',
    port,
    async start() {
      child = spawnChild(
        'mariadb',
        '/usr/sbin/mariadbd',
        [
          '--no-defaults',
          `--datadir=${datadir}`,
          `--socket=${path.join(home, 'mariadb.sock')}`,
          `--pid-file=${path.join(home, 'mariadb.pid')}`,
          `--port=${port}`,
          '--bind-address=127.0.0.1',
          '--skip-grant-tables',
          '--user=root',
          '--innodb-buffer-pool-size=128M',
          '--max-connections=1000',
        ],
        {},
      );
      const up = await timeUntil(
        async () => {
          const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
          await connection.end();
          return true;
        },
        60_000,
        200,
      );
      if (up === undefined) throw new ChaosSetupError(`MariaDB did not start on ${port}:\n${child.output().slice(-4_000)}`);
    },
    kill: () => killAndWait(child),
    async stop() {
      child?.signal('SIGTERM');
      await Promise.race([child?.ended, new Promise((r) => setTimeout(r, 20_000))]);
      await killAndWait(child);
    },
  };
  return server;
}

/** A Redis of its own in `<dir>/redis`, with an append-only file: what it acknowledged survives its SIGKILL. */
export async function privateRedis(dir: string): Promise<PrivateServer> {
  const home = path.join(dir, 'redis');
  fs.mkdirSync(home, { recursive: true });
  const port = await freePort();
  let child: Child | undefined;
  return {
    name: 'Redis',
    port,
    async start() {
      child = spawnChild(
        'redis',
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--dir', home, '--appendonly', 'yes', '--save', ''],
        {},
      );
      if ((await timeUntil(() => portOpen(port), 30_000)) === undefined)
        throw new ChaosSetupError(`Redis did not start on ${port}:\n${child.output().slice(-4_000)}`);
    },
    kill: () => killAndWait(child),
    async stop() {
      child?.signal('SIGTERM');
      await Promise.race([child?.ended, new Promise((r) => setTimeout(r, 10_000))]);
      await killAndWait(child);
    },
  };
}

/** A port p with p - 2 … p + 1 free too: the broker takes its port, the fast port below it and the HA port above. */
async function brokerPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const taken = await Promise.all([port - 2, port - 1, port, port + 1].map(portOpen));
    if (!taken.some(Boolean)) return port;
  }
}

/**
 * A RocketMQ of its own (scripts/rocketmq with ROCKETMQ_HOME = `<dir>/rocketmq` and ports of its own), beside the
 * shared one, which is never touched. Its jars are the shared install's when there is one (no second download).
 * The fault kills its Proxy JVM — which embeds the Broker in local mode — with SIGKILL and starts it again on the
 * same store (scripts/rocketmq/restart-proxy.sh).
 */
export async function privateRocketmq(dir: string): Promise<PrivateServer & { env: Record<string, string> }> {
  const home = path.join(dir, 'rocketmq');
  fs.mkdirSync(home, { recursive: true });
  const sharedLib = path.join(ROOT, '.rocketmq', 'lib');
  if (fs.existsSync(path.join(sharedLib, '.resolved')) && !fs.existsSync(path.join(home, 'lib')))
    fs.symlinkSync(sharedLib, path.join(home, 'lib'));
  const [namesrv, grpc, remoting, broker] = [await freePort(), await freePort(), await freePort(), await brokerPort()];
  const scriptEnv = {
    ROCKETMQ_HOME: home,
    ROCKETMQ_NAMESRV_PORT: String(namesrv),
    ROCKETMQ_GRPC_PORT: String(grpc),
    ROCKETMQ_PROXY_REMOTING_PORT: String(remoting),
    ROCKETMQ_BROKER_PORT: String(broker),
  };
  const script = (name: string) => run('bash', [path.join(ROOT, 'scripts/rocketmq', name)], scriptEnv);
  return {
    name: 'RocketMQ',
    port: grpc,
    env: { ROCKETMQ_ENDPOINTS: `127.0.0.1:${grpc}`, ROCKETMQ_NAMESRV: `127.0.0.1:${namesrv}` },
    start: async () => void (await script('start.sh')),
    kill: async () => void (await script('restart-proxy.sh')),
    stop: async () => void (await script('stop.sh').catch(() => '')),
  };
}
