import type { CallLog } from './http-client.js';
import { type Child, timeUntil } from './processes.js';
import type { Fault, FaultOutcome } from './topology.js';

/** The bound the docs state for a graceful stop (SHUTDOWN_TIMEOUT_MS, src/graceful-shutdown.ts), plus a second of slack. */
export const GRACEFUL_STOP_LIMIT_MS = 16_000;
/** A restarted process or server that does not answer within this is a violation. */
export const RECOVERY_LIMIT_MS = 90_000;

/** One orderflow process of a topology: how to (re)start it and whether it is ready (GET /api/health/ready). */
export interface ManagedProcess {
  name: string;
  url: string;
  current(): Child | undefined;
  start(): Promise<void>;
}

export const ready = (url: string) => async () => (await fetch(`${url}/api/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok;

export function recovered(started: number, tookMs: number | undefined): FaultOutcome {
  if (tookMs === undefined)
    return { recoveryMs: Date.now() - started, violations: [`not ready ${RECOVERY_LIMIT_MS / 1000} s after the restart`] };
  return { recoveryMs: Date.now() - started, violations: [] };
}

/**
 * Starts the process again; a start that fails (the process exits, or never says it serves) is the fault's violation,
 * reported with the rest, not the end of the run: the run still stops its load and checks what it can.
 */
async function restart(target: ManagedProcess): Promise<string | undefined> {
  try {
    await target.start();
    return undefined;
  } catch (error) {
    return `did not start again: ${String((error as Error).message ?? error).split('\n')[0]}`;
  }
}

/** SIGKILL of the process group (the process, its worker threads), then a restart; recovery = until it is ready again. */
export function killFault(target: ManagedProcess): Fault {
  return {
    name: `SIGKILL ${target.name}`,
    async inject() {
      const started = Date.now();
      const child = target.current();
      child?.signal('SIGKILL');
      await child?.ended;
      const failed = await restart(target);
      if (failed) return { recoveryMs: Date.now() - started, violations: [failed] };
      return recovered(started, await timeUntil(ready(target.url), RECOVERY_LIMIT_MS));
    },
  };
}

/**
 * SIGTERM under load: every request the process was already handling (sent at least 100 ms before) must be answered,
 * the process must exit with code 0 within GRACEFUL_STOP_LIMIT_MS, and it is then started again.
 */
export function gracefulStopFault(target: ManagedProcess, log: CallLog): Fault {
  return {
    name: `SIGTERM ${target.name} under load`,
    async inject() {
      const started = Date.now();
      const inFlight = log.inFlight.size;
      log.cutAfter = { since: started - 100, cut: 0 };
      const child = target.current();
      child?.signal('SIGTERM');
      const exit = await Promise.race([
        child?.ended,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), GRACEFUL_STOP_LIMIT_MS)),
      ]);
      const stopMs = Date.now() - started;
      const violations: string[] = [];
      if (!exit) {
        violations.push(`still running ${GRACEFUL_STOP_LIMIT_MS} ms after SIGTERM`);
        child?.signal('SIGKILL');
        await child?.ended;
      } else if (exit.code !== 0) violations.push(`exited with ${exit.code ?? exit.signal} after SIGTERM`);
      const { cut } = log.cutAfter;
      log.cutAfter = undefined;
      if (cut > 0) violations.push(`${cut} requests in flight at SIGTERM got no answer`);
      const failed = await restart(target);
      const outcome = failed
        ? { recoveryMs: Date.now() - started, violations: [failed] }
        : recovered(started, await timeUntil(ready(target.url), RECOVERY_LIMIT_MS));
      return {
        ...outcome,
        violations: [...outcome.violations, ...violations],
        note: `stopped in ${stopMs} ms, ${inFlight} requests in flight`,
      };
    },
  };
}
