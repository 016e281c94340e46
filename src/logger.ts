/**
 * The one place orderflow makes a logger, in every process and thread: JSON lines on stdout — what pipes,
 * files, log collectors, CI and the tests' child processes read — or, when stdout is a terminal, the same
 * records made readable for a person by pino-pretty.
 */
import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import { type Logger, pino } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';

export type LogFormat = 'json' | 'pretty';

/**
 * Pretty on a terminal, JSON anywhere else. Asked of file descriptor 1 rather than `process.stdout`: in a
 * worker thread `process.stdout` is a pipe to the main thread and never a TTY, while pino writes to fd 1
 * directly from every thread, so every thread decides alike.
 */
export function logFormatOf(fd = 1): LogFormat {
  return isatty(fd) ? 'pretty' : 'json';
}

export interface LoggerOptions {
  level: string;
  /** Defaults to logFormatOf(stdout). */
  format?: LogFormat;
}

export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? logFormatOf();
  if (format === 'json') return pino({ level: options.level });
  return pino({ level: options.level }, prettyStdout());
}

/**
 * pino-pretty in this thread, writing synchronously: a line logged right before process.exit() (the bounded
 * stop's last words) still reaches the terminal, and no transport thread is started for it. Loaded only
 * when a terminal asks for it, so the JSON processes never load it.
 */
function prettyStdout(): PrettyStream {
  const build = createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => PrettyStream;
  return build({ destination: 1, sync: true, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
}
