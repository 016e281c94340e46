/**
 * Readiness from the dependencies themselves: each one (a database, the broker, Redis, the consumers' worker
 * thread) has a probe, a cheap request it must answer. A probe that fails or has not answered within the
 * timeout makes the whole answer DOWN, so a dead MariaDB or a RocketMQ proxy that stopped answering turns
 * the health route 503 within about a second instead of hanging it.
 */
import type { HealthCheck } from './health.js';

/** Resolves once the dependency answered; rejects (or never settles) when it does not. */
export type Probe = () => Promise<unknown>;

/** Orchestrators' probes time out after a second or more by default (Kubernetes: 1 s): a verdict before that. */
export const HEALTH_PROBE_TIMEOUT_MS = 800;

export interface DependencyState {
  status: 'UP' | 'DOWN';
  /** How long the probe took, or the timeout when it did not answer. */
  latencyMs: number;
  /** Why it is DOWN: a timeout, or the failure's code (never its message: it may name hosts or users). */
  error?: string;
}

export interface DependencyHealthOptions {
  probes: Readonly<Record<string, Probe>>;
  /** Facts reported as they are, not checked (engine, database kind, flow). */
  info?: Readonly<Record<string, unknown>>;
  timeoutMs?: number;
  logger: { warn(obj: object, msg?: string): void };
}

/**
 * The health check over `probes`, all asked at once. A probe that has not settled yet is not started again:
 * later requests wait on the same one (each with its own timeout), so a load balancer polling hard, or a
 * database that hangs, never piles up queries. A dependency going down, and coming back, is logged once.
 */
export function dependencyHealth(options: DependencyHealthOptions): HealthCheck {
  const timeoutMs = options.timeoutMs ?? HEALTH_PROBE_TIMEOUT_MS;
  const running = new Map<string, { answered: Promise<unknown>; started: number }>();
  const last = new Map<string, DependencyState['status']>();
  const ask = async (name: string, probe: Probe): Promise<DependencyState> => {
    let run = running.get(name);
    if (!run) {
      const answered = Promise.resolve().then(probe);
      run = { answered, started: performance.now() };
      running.set(name, run);
      answered.then(
        () => running.delete(name),
        () => running.delete(name),
      );
    }
    const { state, cause } = await within(run.answered, run.started, timeoutMs);
    if (last.get(name) !== state.status) {
      if (state.status === 'DOWN')
        options.logger.warn({ dependency: name, error: state.error, err: cause }, 'health: a dependency is down');
      else if (last.has(name)) options.logger.warn({ dependency: name }, 'health: a dependency is up again');
      last.set(name, state.status);
    }
    return state;
  };
  return async () => {
    const names = Object.keys(options.probes);
    const states = await Promise.all(names.map((name) => ask(name, options.probes[name] as Probe)));
    const dependencies = Object.fromEntries(names.map((name, i) => [name, states[i]]));
    return { ok: states.every((s) => s.status === 'UP'), details: { ...options.info, dependencies } };
  };
}

const TIMED_OUT = Symbol('timed out');

async function within(
  answered: Promise<unknown>,
  started: number,
  timeoutMs: number,
): Promise<{ state: DependencyState; cause?: unknown }> {
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, timeoutMs - (performance.now() - started)), TIMED_OUT);
  });
  try {
    if ((await Promise.race([answered, timeout])) === TIMED_OUT) {
      return { state: { status: 'DOWN', latencyMs: elapsed(), error: `no answer within ${timeoutMs} ms` } };
    }
    return { state: { status: 'UP', latencyMs: elapsed() } };
  } catch (error) {
    return { state: { status: 'DOWN', latencyMs: elapsed(), error: codeOf(error) }, cause: error };
  } finally {
    clearTimeout(timer);
  }
}

/** A failure's code (ECONNREFUSED, UNAVAILABLE, …) when it has one. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : 'failed';
}
