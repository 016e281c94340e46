import fs from 'node:fs';
import path from 'node:path';
import type { CallLog } from './http-client.js';
import { gracefulStopFault, killFault, type ManagedProcess } from './process-faults.js';
import { type Child, freePort, spawnOrderflow, startVendors, waitForOutput } from './processes.js';
import { sqliteReader } from './sql-reader.js';
import { CHAOS_SECRETS, orderflowEnv, type Topology } from './topology.js';

/** The line `orderflow start` prints once it serves its API. */
export const BANNER = /^\s*API\s+http:\/\/\S+\/api\b/m;

/**
 * The embedded default: one `orderflow start` process (embedded broker, SQLite) and the vendors in an
 * `orderflow vendors` process of their own (never killed: its ledger is the witness). Faults: SIGKILL of
 * the orderflow process group `kills` times, and one SIGTERM under load in the middle of them.
 */
export async function embeddedTopology(options: { dir: string; kills: number; users: number; log: CallLog }): Promise<Topology> {
  fs.rmSync(options.dir, { recursive: true, force: true });
  const dataDir = path.join(options.dir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const vendors = await startVendors(CHAOS_SECRETS.adminToken, { ORDERFLOW_PAYMENT_CALLBACK_SECRET: CHAOS_SECRETS.callbackSecret });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...orderflowEnv(options.users),
    ...vendors.env,
    PORT: String(port),
    ORDERFLOW_DATA_DIR: dataDir,
    // Retries after a crash come back in a fraction of RocketMQ's back-off, so a run settles in seconds.
    ORDERFLOW_RETRY_SCALE: '0.05',
  };
  let child: Child | undefined;
  const orderflow: ManagedProcess = {
    name: 'orderflow',
    url: baseUrl,
    current: () => child,
    async start() {
      child = spawnOrderflow('orderflow', 'start', [], env);
      await waitForOutput(child, BANNER, 120_000);
    },
  };
  try {
    await orderflow.start();
  } catch (error) {
    vendors.child.signal('SIGKILL');
    throw error;
  }
  const faults = Array.from({ length: options.kills }, () => killFault(orderflow));
  faults.splice(Math.floor(options.kills / 2), 0, gracefulStopFault(orderflow, options.log));

  return {
    name: 'embedded',
    baseUrl: () => baseUrl,
    analyticsUrl: () => baseUrl,
    adminToken: CHAOS_SECRETS.adminToken,
    password: CHAOS_SECRETS.password,
    users: Array.from({ length: options.users }, (_, i) => `user${i + 1}`),
    vendorsAdminUrl: vendors.env.ORDERFLOW_VENDORS_URL,
    paymentUrl: vendors.env.ORDERFLOW_PAYMENT_URL,
    reader: sqliteReader(dataDir),
    faults,
    settleLimitMs: 120_000,
    async close() {
      await stopAll([child, vendors.child]);
    },
  };
}

/** SIGTERM to each, SIGKILL to any still running 20 s later. */
export async function stopAll(children: (Child | undefined)[]): Promise<void> {
  for (const c of children) c?.signal('SIGTERM');
  await Promise.race([Promise.all(children.map((c) => c?.ended)), new Promise((r) => setTimeout(r, 20_000))]);
  for (const c of children) c?.signal('SIGKILL');
}
