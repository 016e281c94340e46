/** Minimal logger shape (pino-compatible), the same shape the messaging API takes. */
export interface DbLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export const silentLogger: DbLogger = { debug() {}, info() {}, warn() {}, error() {} };
