import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserThrottle } from './user-throttle.js';

test('user throttle: a burst goes through at once, the next request is refused with the exact wait, then one per interval', () => {
  let now = 1_000;
  const throttle = new UserThrottle({ rate: 5, now: () => now });
  assert.equal(throttle.burst, 10, 'bursts of twice the rate by default');
  for (let i = 0; i < 10; i++) assert.equal(throttle.check('bot'), 0, `request ${i + 1} of the burst`);
  assert.equal(throttle.check('bot'), 200, 'the 11th waits one interval (1 s / 5)');
  now += 150;
  assert.equal(throttle.check('bot'), 50, 'the wait shrinks as time passes');
  now += 50;
  assert.equal(throttle.check('bot'), 0, 'accepted once the wait is over');
  assert.equal(throttle.check('bot'), 200, 'and refused again right after');
});

test('user throttle: a refused request costs nothing — hammering gets exactly the rate through, and waiting refills the burst', () => {
  let now = 0;
  const throttle = new UserThrottle({ rate: 5, now: () => now });
  let accepted = 0;
  // 100 requests a second for 10 s: the burst, then 5 a second.
  for (let ms = 0; ms < 10_000; ms += 10) {
    now = ms;
    if (throttle.check('bot') === 0) accepted++;
  }
  assert.equal(accepted, 10 + 5 * 10 - 1, 'the burst plus 5/s (the last interval ends at 10 s)');
  now = 10_000 + 2_000; // idle for the burst's length: full again
  for (let i = 0; i < 10; i++) assert.equal(throttle.check('bot'), 0);
  assert.ok(throttle.check('bot') > 0);
});

test('user throttle: users are limited separately; a user at one request a second is never refused', () => {
  let now = 0;
  const throttle = new UserThrottle({ rate: 5, now: () => now });
  for (let i = 0; i < 10; i++) throttle.check('bot');
  assert.ok(throttle.check('bot') > 0);
  for (let second = 0; second < 60; second++) {
    now = second * 1_000;
    assert.equal(throttle.check('buyer'), 0, `second ${second}`);
  }
});

test('user throttle: users not seen for a while are forgotten (memory stays bounded) without changing any answer', () => {
  let now = 0;
  const throttle = new UserThrottle({ rate: 1, burst: 2, now: () => now });
  for (let i = 0; i < 1_000; i++) throttle.check(`user${i}`);
  assert.equal(throttle.tracked, 1_000);
  assert.equal(throttle.check('user1'), 0, 'second request of the burst');
  assert.equal(throttle.check('user1'), 1_000, 'burst spent');
  now = 2_100; // one generation (2 s): the 1,000 move to the older generation, still remembered
  throttle.check('someone');
  assert.ok(throttle.tracked >= 1_000);
  now = 4_200; // another generation: those not seen since are dropped
  throttle.check('someone');
  assert.ok(throttle.tracked <= 2, `${throttle.tracked} users still tracked`);
  assert.equal(throttle.check('user1'), 0, 'a forgotten user has a full burst, as they would have anyway');
  assert.equal(throttle.check('user1'), 0);
  assert.equal(throttle.check('user1'), 1_000);
});

test('user throttle: refuses a nonsensical configuration', () => {
  assert.throws(() => new UserThrottle({ rate: 0 }), RangeError);
  assert.throws(() => new UserThrottle({ rate: 5, burst: 0 }), RangeError);
  assert.throws(() => new UserThrottle({ rate: 5, burst: 1.5 }), RangeError);
});
