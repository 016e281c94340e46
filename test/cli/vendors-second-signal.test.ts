import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { startVendorsProcess } from '../support/vendors-process.js';
import { sleep } from '../support/wait.js';

/**
 * `orderflow vendors` stops like `orderflow start`: the first SIGTERM closes gracefully (a request in flight may
 * hold that for seconds), a second one exits at once with 143 — an operator or a supervisor asking twice is obeyed.
 */
test('orderflow vendors: a second SIGTERM during a slow graceful stop exits at once with 143', { timeout: 90_000 }, async () => {
  const vendors = await startVendorsProcess({ ORDERFLOW_ADMIN_TOKEN: 'vendors-admin-token' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    vendors.child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const { hostname, port } = new URL(vendors.adminUrl);
  // A request whose body never comes: in flight, so closing waits for it (the HTTP drain, 5 s).
  const socket = net.connect(Number(port), hostname);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('PUT /api/admin/third-parties/sms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
  try {
    await sleep(300);
    vendors.child.kill('SIGTERM');
    await sleep(500);
    assert.equal(vendors.child.exitCode, null, 'still closing: the request in flight holds the graceful stop');
    const second = Date.now();
    vendors.child.kill('SIGTERM');
    const ended = await Promise.race([exited, sleep(3_000).then(() => undefined)]);
    assert.ok(ended, 'exited within 3 s of the second SIGTERM');
    assert.deepEqual(ended, { code: 143, signal: null });
    assert.ok(Date.now() - second < 3_000);
  } finally {
    socket.destroy();
    if (vendors.child.exitCode === null && vendors.child.signalCode === null) vendors.child.kill('SIGKILL');
  }
});
