import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { signToken } from '../../src/http/index.js';
import { startTestApp, type TestApp } from '../support/app.js';

/** A user route that answers 200 for any valid token and 401 otherwise. */
async function ordersWith(url: string, token: string): Promise<number> {
  return (await fetch(`${url}/api/orders`, { headers: { authorization: `Bearer ${token}` } })).status;
}

test('sessions: a token issued before a restart is accepted after it (same data dir, no ORDERFLOW_TOKEN_SECRET)', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-sessions-'));
  let running: TestApp | undefined;
  t.after(async () => {
    await running?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  running = await startTestApp({ ORDERFLOW_DATA_DIR: dataDir });
  const token = await running.token('user5');
  assert.equal(await ordersWith(running.app.url, token), 200);
  await running.stop();
  running = undefined;

  const again = await startTestApp({ ORDERFLOW_DATA_DIR: dataDir });
  running = again;
  assert.equal(await ordersWith(again.app.url, token), 200, 'the restarted process accepts the old token');
  assert.equal(await ordersWith(again.app.url, `${token.slice(0, -2)}xx`), 401, 'and still refuses a forged one');
});

test('sessions: a token issued by one process is accepted by another sharing ORDERFLOW_TOKEN_SECRET; one signed with another secret is not', async (t) => {
  const secret = 'one-secret-for-the-whole-deployment';
  const [issuer, peer] = await Promise.all([
    startTestApp({ ORDERFLOW_TOKEN_SECRET: secret }),
    startTestApp({ ORDERFLOW_TOKEN_SECRET: secret }),
  ]);
  t.after(() => Promise.all([issuer.stop(), peer.stop()]));
  const token = await issuer.token('user6');
  assert.equal(await ordersWith(peer.app.url, token), 200);
  assert.equal(
    await ordersWith(peer.app.url, signToken('user6', 'another-deployment-s-secret')),
    401,
    'a token signed with another secret is refused',
  );
  assert.equal(fs.existsSync(path.join(issuer.app.config.dataDir, 'token-secret')), false, 'a configured secret is not written to disk');
});
