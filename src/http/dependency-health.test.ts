import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dependencyHealth } from './dependency-health.js';

const quiet = { warn() {} };
const never = () => new Promise<never>(() => {});

test('UP when every probe answers; each dependency with its state and latency; the info as given', async () => {
  const check = dependencyHealth({
    probes: { 'db.order': async () => 1, mq: async () => undefined },
    info: { mq: 'embedded' },
    logger: quiet,
  });
  const { ok, details } = await check();
  assert.equal(ok, true);
  assert.equal(details.mq, 'embedded');
  const dependencies = details.dependencies as Record<string, { status: string; latencyMs: number; error?: string }>;
  assert.deepEqual(Object.keys(dependencies), ['db.order', 'mq']);
  for (const state of Object.values(dependencies)) {
    assert.equal(state.status, 'UP');
    assert.ok(state.latencyMs >= 0 && state.error === undefined);
  }
});

test("a probe that fails is DOWN with the failure's code, never its message", async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:3306 as root'), { code: 'ECONNREFUSED' });
  const check = dependencyHealth({
    probes: { db: () => Promise.reject(refused), mq: () => Promise.reject(new Error('secret')) },
    logger: quiet,
  });
  const { ok, details } = await check();
  assert.equal(ok, false);
  assert.deepEqual(
    Object.fromEntries(
      Object.entries(details.dependencies as Record<string, { status: string; error: string }>).map(([k, v]) => [k, [v.status, v.error]]),
    ),
    { db: ['DOWN', 'ECONNREFUSED'], mq: ['DOWN', 'failed'] },
  );
  assert.doesNotMatch(JSON.stringify(details), /10\.1\.2\.3|secret/);
});

test('a probe that never answers is DOWN after the timeout: the check does not hang', async () => {
  const check = dependencyHealth({ probes: { db: never, mq: async () => {} }, timeoutMs: 200, logger: quiet });
  const started = Date.now();
  const { ok, details } = await check();
  const took = Date.now() - started;
  assert.equal(ok, false);
  assert.ok(took >= 190 && took < 1_000, `took ${took} ms`);
  const db = (details.dependencies as Record<string, { status: string; latencyMs: number; error: string }>).db;
  assert.equal(db?.status, 'DOWN');
  assert.equal(db?.error, 'no answer within 200 ms');
});

test('a probe still running is not started again: concurrent and later checks share it, so a hung dependency gets one query', async () => {
  let started = 0;
  let answer: (() => void) | undefined;
  const probe = () => {
    started++;
    return new Promise<void>((resolve) => {
      answer = resolve;
    });
  };
  const check = dependencyHealth({ probes: { db: probe }, timeoutMs: 100, logger: quiet });
  const results = await Promise.all([check(), check(), check()]);
  assert.deepEqual(
    results.map((r) => r.ok),
    [false, false, false],
  );
  const later = await check();
  assert.equal(later.ok, false);
  assert.equal(started, 1, 'one probe for four checks while it hung');
  answer?.();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await check()).ok, false, 'the new probe hangs too');
  assert.equal(started, 2, 'a new probe once the first one settled');
});

test('a dependency going down and coming back is logged once each way', async () => {
  let up = true;
  const lines: string[] = [];
  const check = dependencyHealth({
    probes: { redis: async () => (up ? undefined : Promise.reject(new Error('x'))) },
    logger: { warn: (_o, msg) => lines.push(String(msg)) },
  });
  await check();
  up = false;
  await check();
  await check();
  up = true;
  await check();
  assert.deepEqual(lines, ['health: a dependency is down', 'health: a dependency is up again']);
});
