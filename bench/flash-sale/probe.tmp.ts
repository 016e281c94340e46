import autocannon from 'autocannon';
import { startServer } from '../server-process.js';
import { signToken } from '../../src/http/index.js';
const secret = 'a'.repeat(64);
const server = await startServer({ ORDERFLOW_TOKEN_SECRET: secret, REDIS_URL: '' }, 3997);
const token = signToken('user1', secret);
await new Promise((r) => setTimeout(r, 3000));
const post404 = { method: 'POST', path: '/api/flash-sales/NOPE/orders', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"userId":"user1"}' };
for (const [name, req, opts] of [
  ['warm 404 closed', post404, { connections: 100, amount: 10000 }],
  ['health open 2000/s c200', { method: 'GET', path: '/api/health' }, { connections: 200, amount: 20000, overallRate: 2000 }],
  ['404 open 2000/s c200', post404, { connections: 200, amount: 20000, overallRate: 2000 }],
  ['404 open 2000/s c20', post404, { connections: 20, amount: 20000, overallRate: 2000 }],
  ['404 closed c200', post404, { connections: 200, amount: 20000 }],
] as const) {
  const r = await autocannon({ url: server.url, ...(opts as any), requests: [req as any] });
  console.log(name.padEnd(28), Math.round(r.requests.total / r.duration), 'req/s p50', r.latency.p50, 'p99', r.latency.p99, 'max', r.latency.max);
}
await server.stop();
process.exit(0);
