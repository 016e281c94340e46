import fs from 'node:fs';
import path from 'node:path';
import { type Child, freePort, spawnOrderflow, startVendors, timeUntil, waitForOutput } from './processes.js';
import { sqliteReader } from './sql-reader.js';
import { CHAOS_SECRETS, type Fault, type FaultOutcome, orderflowEnv, type Topology } from './topology.js';
import type { CallLog } from './http-client.js';

/** The bound the docs state for a graceful stop (SHUTDOWN_TIMEOUT_MS, src/graceful-shutdown.ts), plus a second of slack. */
export const GRACEFUL_STOP_LIMIT_MS = 16_000;

/**
 * The embedded default: one `orderflow start` process (embedded broker, SQLite) and the vendors in an
 * `orderflow vendors` process of their own (never killed: its ledger is the witness). Faults: SIGKILL of
 * the orderflow process group `kills` times, and one SIGTERM under load.
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
  let orderflow: Child | undefined;
  const start = async () => {
    orderflow = spawnOrderflow('orderflow', 'start', [], env);
    await waitForOutput(orderflow, /^\s*API\s+http:\/\/\S+\/api\b/m, 120_000);
  };
  await start();
  const answering = async () => (await fetch(`${baseUrl}/api/skus`, { signal: AbortSignal.timeout(2_000) })).ok;

  const kill: Fault = {
    name: 'SIGKILL orderflow',
    async inject() {
      const started = Date.now();
      orderflow?.signal('SIGKILL');
      await orderflow?.ended;
      await start();
      return recovered(started, await timeUntil(answering, 60_000));
    },
  };
  const term: Fault = {
    name: 'SIGTERM orderflow under load',
    async inject() {
      const started = Date.now();
      const inFlight = options.log.inFlight.size;
      options.log.cutAfter = { since: started - 100, cut: 0 };
      orderflow?.signal('SIGTERM');
      const exit = await Promise.race([
        orderflow?.ended,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), GRACEFUL_STOP_LIMIT_MS)),
      ]);
      const stopMs = Date.now() - started;
      const violations: string[] = [];
      if (!exit) {
        violations.push(`still running ${GRACEFUL_STOP_LIMIT_MS} ms after SIGTERM`);
        orderflow?.signal('SIGKILL');
        await orderflow?.ended;
      } else if (exit.code !== 0) violations.push(`exited with ${exit.code ?? exit.signal} after SIGTERM`);
      const cut = options.log.cutAfter.cut;
      options.log.cutAfter = undefined;
      if (cut > 0) violations.push(`${cut} requests in flight at SIGTERM got no answer`);
      await start();
      const outcome = recovered(started, await timeUntil(answering, 60_000));
      return {
        ...outcome,
        violations: [...outcome.violations, ...violations],
        note: `stopped in ${stopMs} ms, ${inFlight} requests in flight`,
      };
    },
  };
  // The graceful stop comes in the middle of the kills.
  const faults = Array.from({ length: options.kills }, () => kill);
  faults.splice(Math.floor(options.kills / 2), 0, term);

  return {
    name: 'embedded',
    baseUrl: () => baseUrl,
    adminToken: CHAOS_SECRETS.adminToken,
    password: CHAOS_SECRETS.password,
    users: Array.from({ length: options.users }, (_, i) => `user${i + 1}`),
    vendorsAdminUrl: vendors.env.ORDERFLOW_VENDORS_URL,
    reader: sqliteReader(dataDir),
    faults,
    async close() {
      orderflow?.signal('SIGTERM');
      vendors.child.signal('SIGTERM');
      await Promise.race([Promise.all([orderflow?.ended, vendors.child.ended]), new Promise((r) => setTimeout(r, 20_000))]);
      orderflow?.signal('SIGKILL');
      vendors.child.signal('SIGKILL');
    },
  };
}

export function recovered(started: number, tookMs: number | undefined): FaultOutcome {
  if (tookMs === undefined) return { recoveryMs: Date.now() - started, violations: ['not answering 60 s after the restart'] };
  return { recoveryMs: Date.now() - started, violations: [] };
}
