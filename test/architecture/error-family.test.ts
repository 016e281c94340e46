/**
 * One error family: every error orderflow throws on purpose derives from OrderflowError (code,
 * retriable, cause), so callers and the HTTP layer can tell a handled failure from a bug. This test
 * holds the rule against the source: no error class of ours extends Error directly, and no plain
 * `Error` is thrown from src/ except the few guards listed below (entry files refusing to run in the
 * wrong place, which no caller can catch anyway).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/config.js';
import { DbError, DbErrorCode } from '../../src/db/errors.js';
import { AppError, ErrorCode, OrderflowError } from '../../src/errors.js';
import { MqError, MqErrorCode } from '../../src/mq/errors.js';
import { ThirdPartyError, ThirdPartyErrorCode, VendorError, VendorErrorCode } from '../../src/third-parties/errors.js';

const SRC = path.join(import.meta.dirname, '../../src');
/** Browser code of the dashboard: not part of the server's error family. */
const OUTSIDE_THE_FAMILY = [path.join('http', 'dashboard') + path.sep];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs|js)$/.test(entry.name) && !/\.(test|fixture|cases)\.ts$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => !OUTSIDE_THE_FAMILY.some((part) => path.relative(SRC, file).startsWith(part)));
}

test('every error class in src/ derives from OrderflowError, not from Error directly', () => {
  const offenders = sourceFiles(SRC).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/class (\w+) extends Error\b/g)]
      .map((m) => `${path.relative(SRC, file)}: ${m[1]}`)
      .filter((found) => !found.endsWith(': OrderflowError')),
  );
  assert.deepEqual(offenders, []);
});

test('no plain Error is thrown in src/ (outside the entry files\' "wrong place to run" guards)', () => {
  const offenders = sourceFiles(SRC).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => ({ line, at: `${path.relative(SRC, file)}:${i + 1}` }))
      .filter(({ line }) => /throw new Error\(/.test(line) && !/runs only as a worker thread/.test(line))
      .map(({ at, line }) => `${at}: ${line.trim()}`),
  );
  assert.deepEqual(offenders, []);
});

test("each module's errors carry code, retriable and cause through the one base", () => {
  const cause = new Error('root');
  const errors: OrderflowError[] = [
    new AppError(ErrorCode.CONFLICT, 'raced', { cause, retriable: true }),
    new MqError(MqErrorCode.TIMEOUT, 'slow broker', { cause, retriable: true }),
    new DbError(DbErrorCode.UNREACHABLE, 'no server', { cause, retriable: true }),
    new VendorError(VendorErrorCode.DOWN, 'sms', 'down', { cause, retriable: true }),
  ];
  for (const error of errors) {
    assert.ok(error instanceof OrderflowError, error.name);
    assert.equal(error.cause, cause, error.name);
    assert.equal(error.retriable, true, error.name);
    assert.equal(typeof error.code, 'string', error.name);
  }
  const knob = new ThirdPartyError(ThirdPartyErrorCode.INVALID_KNOB, 'failureRate', 'must be 0..1');
  assert.ok(knob instanceof OrderflowError);
  assert.equal(knob.retriable, false);
  assert.deepEqual(knob.details, { field: 'failureRate' });
  const config = new ConfigError('PORT', 'must be a port number');
  assert.ok(config instanceof OrderflowError);
  assert.equal(config.code, 'CONFIG_INVALID');
  assert.equal(config.message, 'PORT: must be a port number');
});
