/**
 * `npm run cluster:start | cluster:stop | cluster:status [-- --json]`: orderflow as a shop runs it on one machine —
 * RocketMQ, MariaDB and Redis (reused when running), the vendors in a process of their own, several order-system
 * instances behind HAProxy and several instances of every downstream system, each in its own process. Settings:
 * scripts/cluster/settings.ts; how to run and monitor it: docs/deployment.md.
 */
import { ClusterSettingError, loadClusterSettings } from './settings.js';
import { startCluster } from './start.js';
import { clusterStatus, printStatus } from './status.js';
import { stopCluster } from './stop.js';

const USAGE = 'usage: cluster.ts start | stop | status [--json]   (npm run cluster:start, cluster:stop, cluster:status -- --json)';

async function main(): Promise<number> {
  const [command, ...flags] = process.argv.slice(2);
  const unknown = flags.find((flag) => flag !== '--json' || command !== 'status');
  if (unknown !== undefined) {
    process.stderr.write(`cluster: unknown option '${unknown}'\n${USAGE}\n`);
    return 2;
  }
  const settings = loadClusterSettings();
  if (command === 'start') return startCluster(settings);
  if (command === 'stop') return stopCluster(settings);
  if (command === 'status') {
    const status = await clusterStatus(settings);
    if (flags.includes('--json')) process.stdout.write(`${JSON.stringify(status)}\n`);
    else printStatus(status);
    return status.running && status.processes.every((p) => p.healthy) ? 0 : 1;
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ClusterSettingError) process.stderr.write(`cluster: bad setting: ${error.message}\n`);
    else process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(error instanceof ClusterSettingError ? 2 : 1);
  },
);
