/**
 * The servers a cluster needs: RocketMQ, MariaDB/MySQL and Redis are reused when they answer, and started
 * when they do not and are meant to run on this machine (RocketMQ through scripts/rocketmq, MariaDB and Redis
 * as private servers with their data under the cluster's directory). HAProxy, the load balancer, comes from
 * the distribution's packages: installed with apt-get when missing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { parseDatabaseUrl } from '../../src/db/index.js';
import { type RecordedProcess, spawnDetached, startTicksOf } from './processes.js';
import { REPO_DIR } from './settings.js';

export const progress = (line: string) => process.stdout.write(`[cluster] ${line}\n`);

/** Does host:port accept a TCP connection within `ms`? */
export function portOpen(host: string, port: number, ms = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(ms, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const hostPort = (endpoint: string) => {
  const [host, port] = endpoint.split(':');
  return { host, port: Number(port) };
};
const isLocal = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '::1';

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not answer within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---- RocketMQ -------------------------------------------------------------------------------------------

export async function rocketmqAnswers(endpoints: string, namesrv: string): Promise<boolean> {
  const proxy = hostPort(endpoints.split(';')[0]);
  const ns = hostPort(namesrv.split(';')[0]);
  return (await portOpen(proxy.host, proxy.port)) && (await portOpen(ns.host, ns.port));
}

/** Reuses a RocketMQ that answers; else starts scripts/rocketmq's (only for its own addresses). True when started here. */
export async function ensureRocketMQ(endpoints: string, namesrv: string): Promise<boolean> {
  if (await rocketmqAnswers(endpoints, namesrv)) {
    progress(`RocketMQ answers at ${endpoints} (NameServer ${namesrv}): reused, left running by cluster:stop`);
    return false;
  }
  if (endpoints !== '127.0.0.1:8081' || namesrv !== '127.0.0.1:9876') {
    throw new Error(
      `RocketMQ does not answer at ROCKETMQ_ENDPOINTS=${endpoints} / ROCKETMQ_NAMESRV=${namesrv}; start it, or unset both to have a local one started`,
    );
  }
  progress('RocketMQ is not running: starting a local one with scripts/rocketmq/start.sh (the first time, Maven fetches it: minutes) …');
  const result = spawnSync('bash', [path.join(REPO_DIR, 'scripts/rocketmq/start.sh')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('RocketMQ did not start (scripts/rocketmq/start.sh; its output is above)');
  return true;
}

/** The RocketMQ JVMs scripts/rocketmq started (their pid files), for the status. */
export function rocketmqProcesses(endpoints: string): RecordedProcess[] {
  const run = path.join(process.env.ROCKETMQ_HOME ?? path.join(REPO_DIR, '.rocketmq'), 'run');
  const found: RecordedProcess[] = [];
  for (const name of ['namesrv', 'proxy']) {
    const pid = Number(readOr(path.join(run, `${name}.pid`), '').trim());
    if (!Number.isInteger(pid) || pid <= 0) continue;
    found.push({
      name: `rocketmq-${name}`,
      role: 'rocketmq',
      pid,
      startTicks: startTicksOf(pid) ?? '',
      url: name === 'proxy' ? `grpc://${endpoints}` : undefined,
      log: path.join(run, '..', 'logs', `${name}.out`),
      startedByCluster: false,
    });
  }
  return found;
}

/** A server found running: listed by the status (pid of its listener on this machine, if any), never stopped. */
function reused(name: string, role: 'mysql' | 'redis', host: string, port: number, url: string): RecordedProcess {
  const pid = isLocal(host) ? listenerPid(port) : undefined;
  return { name, role, pid: pid ?? 0, startTicks: pid ? (startTicksOf(pid) ?? '') : '', url, log: '', startedByCluster: false };
}

/** The pid listening on a local TCP port, from `ss` (undefined when unknown). */
function listenerPid(port: number): number | undefined {
  const out = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' }).stdout ?? '';
  const match = /pid=(\d+)/.exec(out);
  return match ? Number(match[1]) : undefined;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

// ---- MariaDB / MySQL ------------------------------------------------------------------------------------

export async function mysqlAnswers(dbUrl: string): Promise<boolean> {
  const target = parseDatabaseUrl(dbUrl);
  if (target.kind !== 'mysql') return false;
  try {
    const connection = await mysql.createConnection({
      host: target.host,
      port: target.port,
      user: target.user,
      password: target.password,
      connectTimeout: 3_000,
    });
    await connection.query('SELECT 1');
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

/** Reuses a MariaDB/MySQL that answers; else, on this machine, starts a private MariaDB with its data in `dir`. */
export async function ensureMysql(dbUrl: string, dir: string): Promise<RecordedProcess> {
  const target = parseDatabaseUrl(dbUrl);
  if (target.kind !== 'mysql') throw new Error(`ORDERFLOW_DB=${dbUrl} is not a mysql:// URL`);
  if (await mysqlAnswers(dbUrl)) {
    progress(`MariaDB/MySQL answers at ${target.host}:${target.port}: reused, left running by cluster:stop`);
    return reused('mysql', 'mysql', target.host, target.port, `mysql://${target.host}:${target.port}`);
  }
  if (!isLocal(target.host) || target.user !== 'root' || target.password !== '') {
    throw new Error(
      `MariaDB/MySQL does not answer at ${target.host}:${target.port} (ORDERFLOW_DB): start it, or point ORDERFLOW_DB at one that runs`,
    );
  }
  const mariadbd = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((file) => fs.existsSync(file));
  if (!mariadbd)
    throw new Error(
      `MariaDB/MySQL does not answer at ${target.host}:${target.port} and no mariadbd is installed: apt-get install -y mariadb-server`,
    );
  const dataDir = path.join(dir, 'mariadb');
  if (!fs.existsSync(path.join(dataDir, 'mysql'))) {
    progress(`initialising a private MariaDB data directory in ${dataDir} …`);
    fs.mkdirSync(dataDir, { recursive: true });
    const init = spawnSync(
      'mariadb-install-db',
      ['--no-defaults', `--datadir=${dataDir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'],
      { encoding: 'utf8' },
    );
    if (init.status !== 0) throw new Error(`mariadb-install-db failed: ${(init.stderr || init.stdout).trim().split('\n').pop()}`);
  }
  progress(`starting a private MariaDB on ${target.host}:${target.port} (data in ${dataDir}) …`);
  const started = spawnDetached({
    name: 'mariadb',
    role: 'mysql',
    command: mariadbd,
    args: [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--port=${target.port}`,
      '--bind-address=127.0.0.1',
      `--socket=${path.join(dataDir, 'mariadb.sock')}`,
      `--pid-file=${path.join(dataDir, 'mariadb.pid')}`,
      '--user=root',
      '--max-connections=500',
    ],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    log: path.join(dir, 'logs', 'mariadb.log'),
    url: `mysql://${target.host}:${target.port}`,
    cwd: dir,
  });
  await until(`MariaDB at ${target.host}:${target.port}`, () => mysqlAnswers(dbUrl), 60_000);
  return started;
}

// ---- Redis ----------------------------------------------------------------------------------------------

export function redisAnswers(redisUrl: string): Promise<boolean> {
  const url = new URL(redisUrl);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 6379) });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write(url.password ? `AUTH ${decodeURIComponent(url.password)}\r\nPING\r\n` : 'PING\r\n'));
    socket.on('data', (data) => {
      reply += data;
      if (reply.includes('+PONG')) done(true);
      else if (reply.startsWith('-')) done(false);
    });
  });
}

/** Reuses a Redis that answers; else, on this machine, starts a private one (no persistence: the gate's state is rebuilt). */
export async function ensureRedis(redisUrl: string, dir: string): Promise<RecordedProcess> {
  const url = new URL(redisUrl);
  const port = Number(url.port || 6379);
  if (await redisAnswers(redisUrl)) {
    progress(`Redis answers at ${url.hostname}:${port}: reused, left running by cluster:stop`);
    return reused('redis', 'redis', url.hostname, port, `redis://${url.hostname}:${port}`);
  }
  if (!isLocal(url.hostname) || url.password)
    throw new Error(`Redis does not answer at ${url.hostname}:${port} (REDIS_URL): start it, or point REDIS_URL at one that runs`);
  const server = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((file) => fs.existsSync(file));
  if (!server)
    throw new Error(`Redis does not answer at ${url.hostname}:${port} and redis-server is not installed: apt-get install -y redis-server`);
  const dataDir = path.join(dir, 'redis');
  fs.mkdirSync(dataDir, { recursive: true });
  progress(`starting a private Redis on 127.0.0.1:${port} …`);
  const started = spawnDetached({
    name: 'redis',
    role: 'redis',
    command: server,
    args: ['--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    log: path.join(dir, 'logs', 'redis.log'),
    url: `redis://127.0.0.1:${port}`,
    cwd: dir,
  });
  await until(`Redis at 127.0.0.1:${port}`, () => redisAnswers(redisUrl), 30_000);
  return started;
}

// ---- HAProxy --------------------------------------------------------------------------------------------

function findHaproxy(): string | undefined {
  return ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy'].find((file) => fs.existsSync(file));
}

/** HAProxy from the distribution's packages, installed with apt-get when missing (as root, like .ci/run's Chromium). */
export function ensureHaproxy(): string {
  const found = findHaproxy();
  if (found) return found;
  progress("HAProxy is not installed: installing Debian's haproxy package (apt-get update && apt-get install -y haproxy) …");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'haproxy']]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (result.status !== 0)
      throw new Error(
        `apt-get ${args.join(' ')} failed (exit ${result.status ?? result.signal}); install HAProxy by hand (apt-get install haproxy) and start again`,
      );
  }
  const installed = findHaproxy();
  if (!installed) throw new Error('apt-get installed haproxy but no haproxy binary was found in /usr/sbin');
  return installed;
}
