import { DbError, DbErrorCode } from './errors.js';

/** What `ORDERFLOW_DB` may hold (README.md, "Configuration"). */
export type DatabaseUrl =
  | { readonly kind: 'sqlite' }
  | {
      readonly kind: 'mysql';
      readonly host: string;
      readonly port: number;
      readonly user: string;
      readonly password: string;
      /** Each system gets the database `${basename}_${system}`. */
      readonly basename: string;
    };

export const DEFAULT_MYSQL_PORT = 3306;
const ACCEPTED = "accepted: 'sqlite' or 'mysql://user:password@host:port/basename'";
// MySQL database names are at most 64 characters; `${basename}_${system}` must fit.
export const MAX_BASENAME_LENGTH = 40;

/**
 * Parses and validates an `ORDERFLOW_DB` value. config.ts calls it at start-up so a bad value
 * is refused before anything opens; openDatabase calls it again so a direct caller gets the
 * same message. The password never appears in an error message.
 *
 * @example
 * parseDatabaseUrl('sqlite');                                 // { kind: 'sqlite' }
 * parseDatabaseUrl('mysql://root@127.0.0.1:3306/orderflow');  // { kind: 'mysql', host: '127.0.0.1', … }
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const value = url.trim();
  if (value === 'sqlite') return { kind: 'sqlite' };
  if (value === '') fail(url, 'the value is empty');
  if (!value.startsWith('mysql://')) fail(url, 'unknown database kind');
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch (cause) {
    fail(url, 'not a valid URL', cause);
  }
  if (!parsed.hostname) fail(url, 'the host is missing');
  if (parsed.search || parsed.hash) fail(url, 'query parameters and fragments are not supported');
  const decode = (part: string, what: string): string => {
    try {
      return decodeURIComponent(part);
    } catch (cause) {
      fail(url, `the ${what} has a malformed %-escape`, cause);
    }
  };
  const basename = decode(parsed.pathname.replace(/^\//, ''), 'base name');
  if (!basename) fail(url, 'the database base name is missing (each system adds "_<system>" to it)');
  if (!/^[A-Za-z0-9_]+$/.test(basename) || basename.length > MAX_BASENAME_LENGTH) {
    fail(url, `the base name '${basename}' must be 1-${MAX_BASENAME_LENGTH} letters, digits or underscores`);
  }
  const port = parsed.port ? Number(parsed.port) : DEFAULT_MYSQL_PORT;
  return {
    kind: 'mysql',
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    user: decode(parsed.username, 'user') || 'root',
    password: decode(parsed.password, 'password'),
    basename,
  };
}

/** The URL with its password replaced by `***`, safe for logs and error messages. */
export function redactUrl(url: string): string {
  // Greedy up to the last '@': a password with an unescaped '@' must not leak its tail.
  return url.replace(/^(\s*mysql:\/\/[^:/@]*):.*@/, '$1:***@');
}

function fail(url: string, problem: string, cause?: unknown): never {
  throw new DbError(DbErrorCode.INVALID_URL, `ORDERFLOW_DB='${redactUrl(url)}' is invalid: ${problem}; ${ACCEPTED}`, {
    cause,
    details: { variable: 'ORDERFLOW_DB', value: redactUrl(url) },
  });
}
