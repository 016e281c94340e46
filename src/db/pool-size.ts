/** Connections per MySQL pool unless ORDERFLOW_DB_POOL says otherwise (here so that config.ts need not load mysql2). */
export const DEFAULT_POOL_SIZE = 10;
