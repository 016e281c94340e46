/**
 * The dashboard at `/` in a real browser (Chromium through playwright-core): the shop demo end to end and
 * the operations half with the admin token. Skipped, saying so, when no Chromium binary is present —
 * unless ORDERFLOW_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_TOKEN, DEPLOYMENT_URL, inProcessOnly, startTestApp, type TestApp, USER_PASSWORD } from '../support/app.js';

const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const browserPresent = fs.existsSync(executablePath);
const browserRequired = process.env.ORDERFLOW_REQUIRE_BROWSER === '1';
const skip =
  browserPresent || browserRequired ? false : `no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`;
// The machine may be busy with benchmarks: generous, but each wait still fails when the thing never shows.
const UI_TIMEOUT_MS = 20_000;
// On a deployment under test (ORDERFLOW_TEST_URL) other suites ran first: a user whose welcome coupon nobody used.
const USER = DEPLOYMENT_URL ? 'user11' : 'user1';

describe('dashboard in a real browser (Chromium)', { skip }, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  /** What the browser refused under the page's content security policy (it says so on the console). */
  const policyViolations: string[] = [];

  before(async () => {
    if (!browserPresent) throw new Error(`ORDERFLOW_REQUIRE_BROWSER=1 but there is no Chromium at ${executablePath}`);
    t = await startTestApp();
    browser = await chromium.launch({ executablePath });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) policyViolations.push(message.text());
    });
    await page.goto(t.app.url);
  });
  after(async () => {
    const shot = process.env.ORDERFLOW_DASHBOARD_SCREENSHOT;
    if (shot && page) await page.screenshot({ path: shot, fullPage: true });
    await browser?.close();
    // Put the SMS vendor's latency back: it is the deployment's, and the next suite would pay 1 s per SMS.
    if (DEPLOYMENT_URL) await t?.call('PUT', '/api/admin/third-parties/sms', { as: 'admin', body: { latencyMs: 100 } });
    await t?.stop();
  });

  const text = (selector: string) => page.locator(selector).innerText();
  /**
   * A browser-side condition that must become true; its failure names what never showed. Polled from here with
   * page.evaluate (through the DevTools protocol): page.waitForFunction with a string, once it has to poll, evaluates
   * it inside the page, which the page's content security policy refuses (no 'unsafe-eval') and reports as a violation.
   */
  const expectInPage = async (condition: string, what: string) => {
    const deadline = Date.now() + UI_TIMEOUT_MS;
    while (!(await page.evaluate(condition))) {
      if (Date.now() > deadline) assert.fail(`${what} never showed within ${UI_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  test('the app serves the dashboard at /, and unknown /api paths stay JSON 404s', async () => {
    const index = await fetch(`${t.app.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await index.text(), /<script type="module" src="main.js">/);
    // Served with a policy allowing its own scripts and styles only: no inline script, no other origin.
    assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'(;|$)/);
    assert.match(index.headers.get('content-security-policy') ?? '', /style-src 'self'(;|$)/);
    const unknown = await fetch(`${t.app.url}/api/no-such-route`);
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');
    assert.equal((await fetch(`${t.app.url}/api/health`)).status, 200);
    assert.match(await (await fetch(`${t.app.url}/metrics`)).text(), /orderflow_orders_paid_total/);
  });

  test('a demo user logs in, places and pays an order, and sees it SHIPPED with the SMS, points and coupons', async () => {
    await page.fill('#login-form input[name="userId"]', USER);
    await page.fill('#login-form input[name="password"]', USER_PASSWORD);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#whoami:not([hidden])');
    assert.equal(await text('#whoami-user'), USER);

    await page.fill('#skus input[data-sku="SKU-1001"]', '2');
    await page.fill('#coupon', `WELCOME-${USER}`);
    await page.click('#place-order');
    await page.waitForSelector('#order-status[data-status="WAIT_PAY"]');
    const orderId = await text('#order-title code');
    assert.match(orderId, /^O\w+$/);
    await page.click('#order-actions button[data-action="pay"]');
    await page.waitForSelector('#order-status[data-status="SHIPPED"]');

    await page.waitForSelector('#order-downstream tr[data-system="coupons"][data-done="yes"]');
    // What the page says must be what the API says about this order.
    const order = (await t.call('GET', `/api/orders/${orderId}`, { as: USER })).body;
    assert.equal(order.status, 'SHIPPED');
    assert.match(await text('#order-downstream tr[data-system="push"]'), /SMS sent \(PAID\)/);
    assert.match(await text('#order-downstream tr[data-system="warehouse"]'), new RegExp(`tracking ${order.trackingNo}`));
    assert.match(await text('#order-downstream tr[data-system="points"]'), new RegExp(`\\+${Math.floor(order.totalCents / 100)} points`));
    const coupons = await text('#order-downstream tr[data-system="coupons"]');
    assert.match(coupons, new RegExp(`used WELCOME-${USER}`));
    assert.match(coupons, new RegExp(`reward coupon ${order.downstream.coupons.rewardCoupon}`));
    assert.deepEqual(await page.locator('#order-history li').evaluateAll((items) => items.map((li) => li.getAttribute('data-status'))), [
      'WAIT_PAY',
      'PAID',
      'SHIPPED',
    ]);

    // The order_paid message, consumed by each of the four groups.
    const paidChips = '#order-messages tr[data-topic="order_paid"] .chip[data-state="CONSUMED"]';
    await expectInPage(`document.querySelectorAll('${paidChips}').length === 4`, 'order_paid consumed by 4 groups');
    const groups = await page.locator(paidChips).evaluateAll((chips) => chips.map((c) => c.getAttribute('data-group')).sort());
    assert.deepEqual(groups, ['coupons', 'points', 'push', 'warehouse']);
    // Refund is offered for a shipped order, pay is not.
    assert.equal(await page.locator('#order-actions button[data-action="refund"]').count(), 1);
    assert.equal(await page.locator('#order-actions button[data-action="pay"]').count(), 0);
    await page.waitForSelector(`#my-orders tr[data-order="${orderId}"] .status-shipped`);
  });

  test('an API error is shown in plain words', async () => {
    await page.fill('#skus input[data-sku="SKU-1004"]', '1000');
    await page.click('#place-order');
    await page.waitForSelector('#place-error:not([hidden])');
    // 50 as seeded; on a deployment, whatever the suites before left.
    assert.match(
      await text('#place-error'),
      new RegExp(`^Not enough stock \\(.*1000 requested, ${DEPLOYMENT_URL ? '\\d+' : '50'} available\\)`),
    );
    await page.fill('#skus input[data-sku="SKU-1004"]', '0');
  });

  test('with the admin token: orders paid per second charted, queues listed with the order_paid groups', async () => {
    // The test app's token is not the demo default, so the dashboard must not suggest the default.
    assert.equal(await page.locator('#admin-hint').isHidden(), true);
    await page.fill('#admin-form input[name="adminToken"]', ADMIN_TOKEN);
    await page.click('#admin-form button[type="submit"]');
    await page.waitForSelector('#queues tr[data-topic="order_paid"]');
    const groups = await page
      .locator('#queues tr[data-topic="order_paid"]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-group')).sort());
    assert.deepEqual(groups, ['coupons', 'points', 'push', 'warehouse']);

    // A payment while the charts poll: some interval must show it as a non-zero rate and a latency.
    const placed = await t.call('POST', '/api/orders', {
      as: 'user2',
      body: { userId: 'user2', items: [{ skuId: 'SKU-1003', quantity: 1 }] },
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    assert.equal((await t.call('POST', `/api/orders/${placed.body.orderId}/pay`, { as: 'user2', body: {} })).status, 200);
    const maxOf = (series: string) => `Number(document.querySelector('${series}')?.dataset.max || 0)`;
    await expectInPage(`${maxOf('#chart-orders [data-series="paid"]')} > 0`, 'a non-zero point on the orders-paid-per-second chart');
    await expectInPage(`${maxOf('#chart-pay-latency [data-series="p99"]')} > 0`, 'a pay latency p99 point');
    await page.waitForSelector('#chart-orders path');
    await expectInPage(`Number(document.querySelector('#chart-backlog')?.dataset.readings) > 0`, 'a reading on the backlog chart');
    assert.equal(await page.locator('#chart-backlog [data-series="order_paid / push"]').count(), 1);
    await page.waitForSelector('#analytics-statuses [data-status="SHIPPED"]');
    // A deployment's broker keeps the dead letters of whatever ran on it before (a shared RocketMQ: other groups' too):
    // the table must show what the admin API lists. The test's own app starts with none.
    const letters = DEPLOYMENT_URL ? ((await t.call('GET', '/api/admin/dlq?limit=50', { as: 'admin' })).body as { group: string }[]) : [];
    if (letters.length === 0) assert.match(await text('#dlq'), /empty/);
    else for (const letter of letters) assert.match(await text('#dlq'), new RegExp(`\\b${letter.group}\\b`));
  });

  test('the processes panel lists every process of the deployment, up, and who consumes each group', async () => {
    // The token was saved by the test above. What the admin API lists is what the page must show.
    const listed = (await t.call('GET', '/api/admin/processes', { as: 'admin' })).body as {
      processes: { name: string; systems: string[]; pid: number; state: string }[];
    };
    const running = listed.processes.filter((p) => p.state !== 'stopped');
    if (DEPLOYMENT_URL) {
      // A cluster: at least one process of each role, each up (a stopped one of an earlier start may be listed too).
      for (const system of ['order', 'push', 'warehouse', 'points', 'coupons', 'analytics'])
        assert.ok(
          running.some((p) => p.systems.includes(system) && p.state === 'up'),
          `a process running ${system} is up: ${JSON.stringify(running)}`,
        );
    } else
      assert.deepEqual(
        running.map((p) => p.pid),
        [process.pid],
        'the test app, in this process, lists itself',
      );
    for (const p of running) await page.waitForSelector(`#processes tr[data-process="${p.name}"][data-state="up"]`);
    const shown = await page.locator('#processes tr[data-process]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-process')));
    assert.deepEqual(shown.sort(), listed.processes.map((p) => p.name).sort());
    const own = running[0];
    assert.match(await text(`#processes tr[data-process="${own.name}"]`), new RegExp(`\\b${own.pid}\\b`));
    await page.waitForSelector('#process-groups tr[data-group="push"]');
    const pushConsumers = running.filter((p) => p.systems.includes('push') && p.state === 'up').map((p) => p.name);
    const pushRow = await text('#process-groups tr[data-group="push"]');
    for (const name of pushConsumers) assert.ok(pushRow.includes(name), `${name} among the push group's consumers: ${pushRow}`);
  });

  test('the SMS latency knob, set in the page, changes the simulator', async () => {
    const sms = '#knobs form[data-vendor="sms"]';
    await page.waitForSelector(`${sms}[data-latency-ms="100"]`); // loaded from the server
    await page.fill(`${sms} input[name="latencyMs"]`, '1000');
    await page.click(`${sms} button[type="submit"]`);
    await page.waitForSelector(`${sms}[data-latency-ms="1000"]`);
    const knobs = await t.call('GET', '/api/admin/third-parties/sms', { as: 'admin' });
    assert.equal(knobs.status, 200);
    assert.equal(knobs.body.latencyMs, 1000);
    assert.equal(knobs.body.down, false);
  });

  test("the payment provider's drop rate, set in the page, loses a callback; 'Reconcile' in the page finds and repairs it", {
    skip: inProcessOnly('confirms a payment at the simulated provider of the app in this process'),
  }, async () => {
    const payment = '#knobs form[data-vendor="payment"]';
    await page.fill(`${payment} input[name="callbackDropRate"]`, '1');
    await page.click(`${payment} button[type="submit"]`);
    await expectInPage(`document.querySelector('${payment} .saved')?.textContent.startsWith('applied')`, 'the payment knobs applied');
    try {
      assert.equal((await t.call('GET', '/api/admin/third-parties/payment', { as: 'admin' })).body.callbackDropRate, 1);
      const placed = await t.call('POST', '/api/orders', {
        as: 'user3',
        body: { userId: 'user3', items: [{ skuId: 'SKU-1002', quantity: 1 }] },
      });
      assert.equal(placed.status, 201, JSON.stringify(placed.body));
      const orderId = placed.body.orderId as string;
      const started = await t.call('POST', `/api/orders/${orderId}/pay`, { as: 'user3', body: { confirm: false } });
      assert.equal(started.status, 202, JSON.stringify(started.body));
      const paymentId = started.body.payment.paymentId as string;
      const confirmed = await fetch(`${t.app.thirdParties?.urls.payment}/payments/${paymentId}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'succeeded' }),
      });
      assert.equal(confirmed.status, 200);
      assert.equal((await t.call('GET', `/api/orders/${orderId}`, { as: 'user3' })).body.status, 'WAIT_PAY', 'its callback was dropped');
      await page.click('#reconcile-now');
      await page.waitForSelector(`#reconciliation-differences tr[data-payment="${paymentId}"][data-kind="CAPTURED_NOT_SETTLED"]`);
      assert.match(await text('#reconcile-result'), /1 repaired/);
      assert.notEqual((await t.call('GET', `/api/orders/${orderId}`, { as: 'user3' })).body.status, 'WAIT_PAY', 'paid by the repair');
    } finally {
      await t.call('PUT', '/api/admin/third-parties/payment', { as: 'admin', body: { callbackDropRate: 0 } });
    }
  });

  test('no script error in the page, and nothing it does is refused by its content security policy', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(policyViolations, []);
  });
});
