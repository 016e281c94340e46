/**
 * cluster:status — every process of the cluster (the ones it started, and the servers it found running), whether
 * it is healthy, and the backlog of the consumer groups each role consumes as (from the admin API, through the
 * load balancer). `--json` prints {"processes":[{"name","role","pid","url","healthy"}], …} for scripts.
 */
import path from 'node:path';
import { GROUPS_OF, type OrderflowRole, type Role } from './plan.js';
import { isRunning, readState, type RecordedProcess } from './processes.js';
import { loadOrCreateSecrets } from './secrets.js';
import { mysqlAnswers, portOpen, redisAnswers, rocketmqProcesses } from './servers.js';
import type { ClusterSettings } from './settings.js';

export interface ProcessStatus {
  name: string;
  role: Role;
  pid: number | null;
  url: string | null;
  healthy: boolean;
  log: string | null;
  /** False for a server the cluster reuses and never stops. */
  startedByCluster: boolean;
  /** Messages waiting for this process's consumer groups (shared with the other instances of its role). */
  backlog?: number;
}

export interface GroupStatus {
  topic: string;
  group: string;
  backlog: number;
  inFlight: number;
  deadLettered: number;
}

export interface ClusterStatus {
  running: boolean;
  publicUrl: string | null;
  processes: ProcessStatus[];
  groups: GroupStatus[];
  /** Why the backlog is missing, when it is. */
  backlogError?: string;
}

/** GET <url>/api/health answers 200 within 2 s. */
export async function httpHealthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

async function healthOf(process: RecordedProcess, settings: ClusterSettings): Promise<boolean> {
  if (process.startedByCluster && !isRunning(process)) return false;
  switch (process.role) {
    case 'rocketmq': {
      if (!isRunning(process)) return false;
      const [host, port] = (process.name === 'rocketmq-proxy' ? settings.rocketmqEndpoints : settings.rocketmqNamesrv)
        .split(';')[0]
        .split(':');
      return portOpen(host, Number(port));
    }
    case 'mysql':
      return mysqlAnswers(settings.db);
    case 'redis':
      return redisAnswers(settings.redisUrl);
    default:
      return process.url ? httpHealthy(process.url) : false;
  }
}

export async function clusterStatus(settings: ClusterSettings): Promise<ClusterStatus> {
  const state = readState(settings.dir);
  if (!state) return { running: false, publicUrl: null, processes: [], groups: [] };
  const recorded = [...state.processes];
  // The RocketMQ the cluster runs on, whether it started it or found it running.
  for (const jvm of rocketmqProcesses(settings.rocketmqEndpoints))
    if (!recorded.some((p) => p.name === jvm.name)) recorded.push({ ...jvm, startedByCluster: state.startedRocketMQ });
  const processes: ProcessStatus[] = await Promise.all(
    recorded.map(async (p) => ({
      name: p.name,
      role: p.role,
      pid: p.pid === 0 || (p.startedByCluster && !isRunning(p)) ? null : p.pid,
      url: p.url ?? null,
      healthy: await healthOf(p, settings),
      log: p.log ?? null,
      startedByCluster: p.startedByCluster,
    })),
  );
  let groups: GroupStatus[] = [];
  let backlogError: string | undefined;
  try {
    const { ORDERFLOW_ADMIN_TOKEN } = loadOrCreateSecrets(settings.dir, process.env);
    const res = await fetch(`${state.publicUrl}/api/admin/queues`, {
      headers: { authorization: `Bearer ${ORDERFLOW_ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) throw new Error(`GET /api/admin/queues answered ${res.status}`);
    groups = ((await res.json()) as { queues: GroupStatus[] }).queues;
  } catch (error) {
    backlogError = error instanceof Error ? error.message : String(error);
  }
  for (const p of processes) {
    const mine = GROUPS_OF[p.role as OrderflowRole];
    if (mine && !backlogError) p.backlog = groups.filter((g) => mine.includes(g.group)).reduce((sum, g) => sum + g.backlog, 0);
  }
  return {
    running: true,
    publicUrl: state.publicUrl,
    processes,
    groups: groups.filter((g) => Object.values(GROUPS_OF).flat().includes(g.group)),
    backlogError,
  };
}

export function printStatus(status: ClusterStatus): void {
  if (!status.running) {
    process.stdout.write('cluster: not running (npm run cluster:start)\n');
    return;
  }
  const rows = status.processes.map((p) => [
    p.name,
    p.role,
    p.pid === null ? '-' : String(p.pid),
    p.healthy ? 'healthy' : 'DOWN',
    p.backlog === undefined ? '' : String(p.backlog),
    p.url ?? '',
    p.startedByCluster ? shortPath(p.log ?? '') : '(reused, not stopped by cluster:stop)',
  ]);
  const header = ['process', 'role', 'pid', 'health', 'backlog', 'url', 'log'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [`cluster at ${status.publicUrl}`, line(header), ...rows.map(line)];
  if (status.backlogError) out.push(`backlog unknown: ${status.backlogError}`);
  else {
    out.push('', 'consumer groups (backlog / in flight / dead-lettered):');
    for (const g of status.groups)
      out.push(`  ${g.group.padEnd(20)} ${g.topic.padEnd(18)} ${g.backlog} / ${g.inFlight} / ${g.deadLettered}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Relative to the current directory when inside it, else absolute. */
export function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return file === '' || relative.startsWith('..') ? file : relative;
}
