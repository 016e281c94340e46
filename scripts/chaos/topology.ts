import type { SqlReader } from './sql-reader.js';

/** What a fault did: how long until the system answered again, and anything it broke on the way. */
export interface FaultOutcome {
  /** From the fault to the first good answer of the order side's API again. */
  recoveryMs: number;
  /** A promise the fault broke (e.g. a graceful stop that cut a request in flight); empty when none. */
  violations: string[];
  note?: string;
}

export interface Fault {
  /** e.g. 'SIGKILL orderflow', 'restart MariaDB'. */
  name: string;
  inject(): Promise<FaultOutcome>;
}

/** The processes and servers one chaos run drives, and the faults it may inject into them. */
export interface Topology {
  name: string;
  /** The order side's API (stable across restarts). */
  baseUrl(): string;
  /** Where GET /api/analytics/summary is served (the analytics system's process). */
  analyticsUrl(): string;
  adminToken: string;
  /** The seeded users' password. */
  password: string;
  users: string[];
  /** `orderflow vendors`' admin API: GET /api/admin/vendors/ledger. */
  vendorsAdminUrl: string;
  /** The payment provider (its GET /payments lists what it captured). */
  paymentUrl: string;
  reader: SqlReader;
  /** The faults of one run, in the order they are injected (the run picks when). */
  faults: Fault[];
  /** How long the system may take to settle after the load (the bound the docs state for this topology). */
  settleLimitMs: number;
  /** Stops everything it started. */
  close(): Promise<void>;
}

/** Settings every orderflow process of a chaos run gets. */
export const CHAOS_SECRETS = {
  adminToken: 'chaos-admin-token',
  tokenSecret: 'chaos-token-secret-0123456789abcdef',
  password: 'chaos-seed-password',
  callbackSecret: 'chaos-payment-callback-secret-0123',
} as const;

/** The pay timeout of a chaos run: short, so orders left unpaid are closed during the run. */
export const CHAOS_PAY_TIMEOUT = '4s';

/** Environment shared by every orderflow process of a run (production mode: no demo, secrets of the run's own). */
export function orderflowEnv(users: number): Record<string, string> {
  return {
    LOG_LEVEL: 'warn',
    ORDERFLOW_ADMIN_TOKEN: CHAOS_SECRETS.adminToken,
    ORDERFLOW_TOKEN_SECRET: CHAOS_SECRETS.tokenSecret,
    ORDERFLOW_SEED: 'true',
    ORDERFLOW_SEED_PASSWORD: CHAOS_SECRETS.password,
    ORDERFLOW_SEED_USERS: String(users),
    ORDERFLOW_SEED_STOCK: '100000',
    ORDERFLOW_PAY_TIMEOUT: CHAOS_PAY_TIMEOUT,
    ORDERFLOW_PAYMENT_CALLBACK_SECRET: CHAOS_SECRETS.callbackSecret,
    // One client address logs every user in: the per-address login limit is not what is under test.
    ORDERFLOW_LOGIN_ADDRESS_RATE: '0',
  };
}
