/**
 * The one-process default's user-token secret, kept in the data dir: generated on first start and
 * read on every later one, so a restart does not log every user out. Processes of a multi-process
 * deployment share ORDERFLOW_TOKEN_SECRET instead (config.ts requires it there).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, MIN_TOKEN_SECRET_LENGTH } from '../config.js';
import { AppError, ErrorCode } from '../errors.js';

export const TOKEN_SECRET_FILE = 'token-secret';

/** Returns the secret in `<dataDir>/token-secret`, creating it (mode 0600) if it does not exist yet. */
export function loadOrCreateTokenSecret(dataDir: string): { secret: string; file: string; created: boolean } {
  const file = path.join(dataDir, TOKEN_SECRET_FILE);
  const existing = readSecret(file);
  if (existing !== undefined) return { secret: existing, file, created: false };
  // Written whole to a private temporary file, then linked into place: a reader never sees half a
  // secret, and of two processes starting at once on one data dir the second's link fails (EEXIST)
  // and it uses the first one's secret, so both sign alike. (rename would silently replace it.)
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(temporary, 'wx', 0o600);
  try {
    fs.writeSync(fd, `${randomBytes(32).toString('hex')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  const secret = readSecret(file);
  if (secret === undefined)
    throw new AppError(
      ErrorCode.SERVICE_UNAVAILABLE,
      `${file} vanished right after it was written: is another process cleaning the data dir?`,
    );
  return { secret, file, created: true };
}

function readSecret(file: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const secret = text.trim();
  if (secret.length < MIN_TOKEN_SECRET_LENGTH) {
    throw new ConfigError(
      'ORDERFLOW_TOKEN_SECRET',
      `is not set and ${file} holds no usable secret (under ${MIN_TOKEN_SECRET_LENGTH} characters): delete the file to have a new one made (every user logs in again), or set ORDERFLOW_TOKEN_SECRET`,
    );
  }
  return secret;
}
