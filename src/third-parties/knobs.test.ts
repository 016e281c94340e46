import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_KNOBS, isThirdPartyError, knobsPatchSchema, startThirdParties, ThirdPartyErrorCode } from './index.js';
import type { ThirdPartyName } from './index.js';

const invalidKnob = (field: string) => (error: unknown) =>
  isThirdPartyError(error, ThirdPartyErrorCode.INVALID_KNOB) && error.field === field && error.message.includes(field.split('.').at(-1)!);

test('knobs: each simulator starts with its documented defaults', async (t) => {
  const thirdParties = await startThirdParties();
  t.after(() => thirdParties.close());
  assert.deepEqual(thirdParties.getKnobs('sms'), { latencyMs: 100, jitterMs: 0, failureRate: 0, down: false });
  assert.deepEqual(thirdParties.getKnobs('logistics'), { latencyMs: 100, jitterMs: 0, failureRate: 0, down: false });
  assert.deepEqual(thirdParties.getKnobs('payment'), {
    latencyMs: 50,
    jitterMs: 0,
    failureRate: 0,
    down: false,
    callbackDelayMs: 0,
    callbackReorderMs: 0,
    callbackDuplicateRate: 0,
    callbackDropRate: 0,
  });
  assert.deepEqual(thirdParties.getKnobs('payment'), DEFAULT_KNOBS.payment);
});

test('knobs: setKnobs applies any subset and leaves the other knobs alone', async (t) => {
  const thirdParties = await startThirdParties({ knobs: { sms: { jitterMs: 30 } } });
  t.after(() => thirdParties.close());
  const after = thirdParties.setKnobs('sms', { failureRate: 0.25, down: true });
  assert.deepEqual(after, { latencyMs: 100, jitterMs: 30, failureRate: 0.25, down: true });
  assert.deepEqual(thirdParties.getKnobs('sms'), after);
  assert.deepEqual(thirdParties.setKnobs('sms', {}), after, 'an empty patch changes nothing');
  after.latencyMs = 9; // the returned object is a copy: mutating it does not turn the knob
  assert.equal(thirdParties.getKnobs('sms').latencyMs, 100);
});

test('knobs: setKnobs rejects bad values with an error naming the field, and changes nothing', async (t) => {
  const thirdParties = await startThirdParties();
  t.after(() => thirdParties.close());
  const before = thirdParties.getKnobs('logistics');
  const bad: [Record<string, unknown>, string][] = [
    [{ latencyMs: -1 }, 'latencyMs'],
    [{ latencyMs: 60_001 }, 'latencyMs'],
    [{ latencyMs: 1.5 }, 'latencyMs'],
    [{ jitterMs: '10' }, 'jitterMs'],
    [{ failureRate: 1.01 }, 'failureRate'],
    [{ failureRate: -0.1 }, 'failureRate'],
    [{ failureRate: Number.NaN }, 'failureRate'],
    [{ down: 'yes' }, 'down'],
    [{ latency: 10 }, 'latency'],
    // The callbacks' knobs belong to the payment provider: the logistics company calls nobody back.
    [{ callbackDelayMs: 100 }, 'callbackDelayMs'],
    [{ callbackDropRate: 0.5 }, 'callbackDropRate'],
  ];
  for (const [patch, field] of bad) {
    assert.throws(() => thirdParties.setKnobs('logistics', patch as never), invalidKnob(field), JSON.stringify(patch));
  }
  assert.throws(() => thirdParties.setKnobs('logistics', null as never), invalidKnob('knobs'));
  assert.throws(() => thirdParties.setKnobs('logistics', { latencyMs: 10, down: 1 } as never), invalidKnob('down'));
  assert.deepEqual(thirdParties.getKnobs('logistics'), before, 'a refused patch is not half-applied');
});

test("knobs: the payment provider's callback knobs are checked like the others", async (t) => {
  const thirdParties = await startThirdParties();
  t.after(() => thirdParties.close());
  const before = thirdParties.getKnobs('payment');
  const bad: [Record<string, unknown>, string][] = [
    [{ callbackDelayMs: -1 }, 'callbackDelayMs'],
    [{ callbackReorderMs: 60_001 }, 'callbackReorderMs'],
    [{ callbackDuplicateRate: 1.5 }, 'callbackDuplicateRate'],
    [{ callbackDropRate: '1' }, 'callbackDropRate'],
  ];
  for (const [patch, field] of bad) {
    assert.throws(() => thirdParties.setKnobs('payment', patch as never), invalidKnob(field), JSON.stringify(patch));
  }
  assert.deepEqual(thirdParties.getKnobs('payment'), before);
  assert.equal(thirdParties.setKnobs('payment', { callbackDropRate: 0.25, callbackDelayMs: 10 }).callbackDropRate, 0.25);
});

test('knobs: an unknown simulator name is refused with THIRD_PARTY_NOT_FOUND', async (t) => {
  const thirdParties = await startThirdParties();
  t.after(() => thirdParties.close());
  const name = 'bank' as ThirdPartyName;
  for (const act of [() => thirdParties.getKnobs(name), () => thirdParties.setKnobs(name, {}), () => thirdParties.stats(name)]) {
    assert.throws(act, (error: unknown) => isThirdPartyError(error, ThirdPartyErrorCode.NOT_FOUND));
  }
});

test('knobs: bad starting knobs are refused before any port is opened, naming simulator and field', async () => {
  await assert.rejects(startThirdParties({ knobs: { payment: { failureRate: 3 } } }), invalidKnob('knobs.payment.failureRate'));
  await assert.rejects(
    startThirdParties({ ports: { sms: -5 } }),
    (error: unknown) => isThirdPartyError(error, ThirdPartyErrorCode.INVALID_OPTION) && error.field === 'ports.sms',
  );
});

test('knobs: knobsPatchSchema is reusable by the admin route as is', () => {
  assert.deepEqual(knobsPatchSchema.parse({ latencyMs: 0, down: false }), { latencyMs: 0, down: false });
  const refused = knobsPatchSchema.safeParse({ jitterMs: -3 });
  assert.equal(refused.success, false);
  assert.deepEqual(refused.error?.issues[0].path, ['jitterMs']);
});
