/**
 * cluster:stop — stops what cluster:start started, and nothing else: the load balancer first (no new requests),
 * then the order-system instances, the downstream instances, the vendors, and last the servers it had started
 * itself. Each process gets SIGTERM (orderflow's graceful stop, bounded at 15 s) and SIGKILL 20 s later.
 * Servers it found running are left alone. Logs and data stay in the cluster's directory.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Role } from './plan.js';
import { type ClusterState, isRunning, readState, type RecordedProcess, stateFile, stopProcess } from './processes.js';
import { progress } from './servers.js';
import { shortPath } from './status.js';
import { REPO_DIR, type ClusterSettings } from './settings.js';

const GRACE_MS = 20_000;

/** Stopped together, tier after tier. */
const TIERS: Role[][] = [['lb'], ['order'], ['push', 'warehouse', 'points', 'coupons', 'analytics'], ['vendors'], ['mysql', 'redis']];

export async function stopCluster(settings: ClusterSettings): Promise<number> {
  const state = readState(settings.dir);
  if (!state) {
    progress(`not running (no ${shortPath(stateFile(settings.dir))})`);
    return 0;
  }
  const left = await stopRecorded(state, progress);
  if (left.length > 0) {
    process.stderr.write(`cluster: still running after SIGKILL: ${left.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}\n`);
    return 1;
  }
  fs.rmSync(stateFile(settings.dir), { force: true });
  progress(`stopped; logs and data are kept in ${shortPath(settings.dir)}`);
  return 0;
}

/** Stops every process of `state` that the cluster started; returns those still running afterwards. */
export async function stopRecorded(state: ClusterState, say: (line: string) => void): Promise<RecordedProcess[]> {
  const ours = state.processes.filter((p) => p.startedByCluster);
  const left: RecordedProcess[] = [];
  for (const tier of TIERS) {
    const members = ours.filter((p) => tier.includes(p.role));
    await Promise.all(
      members.map(async (p) => {
        const outcome = await stopProcess(p, GRACE_MS);
        if (outcome === 'not running') say(`${p.name}: was not running`);
        else say(`${p.name} (pid ${p.pid}): ${outcome === 'stopped' ? 'stopped' : `killed after ${GRACE_MS / 1000} s`}`);
        if (outcome === 'killed' && isRunning(p)) left.push(p);
      }),
    );
  }
  if (state.startedRocketMQ) {
    say('stopping the RocketMQ this cluster started (scripts/rocketmq/stop.sh) …');
    spawnSync('bash', [path.join(REPO_DIR, 'scripts/rocketmq/stop.sh')], { stdio: 'inherit' });
  }
  return left;
}
