/** Starts orderflow in its own process for a benchmark (the load comes from this process). */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_ADMIN_TOKEN = 'bench-admin-token';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  call(method: string, url: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** A JSON-over-HTTP call to an orderflow server at `url` (a bearer token when given): its status and parsed body. */
export function jsonCaller(url: string): ServerProcess['call'] {
  return async (method, route, body, token) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(url + route, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
}

/**
 * `nodeArgs` go before the entry point; BENCH_SERVER_NODE_ARGS adds more to every benchmark's server, e.g.
 * `BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' npm run bench -- flash-sale` to profile it.
 * BENCH_SERVER_LOG=<file> appends every server's stderr (its warnings and errors) to that file.
 */
export async function startServer(env: Record<string, string>, port: number, nodeArgs: string[] = []): Promise<ServerProcess> {
  nodeArgs = [...nodeArgs, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-bench-app-'));
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(root, 'src/cli.ts'), 'start'], {
    cwd: root,
    // The embedded default as `npm start` runs it (the demo: its seeded users log in with the demo password).
    env: {
      ...process.env,
      PORT: String(port),
      ORDERFLOW_DATA_DIR: dataDir,
      ORDERFLOW_DEMO: 'true',
      ORDERFLOW_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      ORDERFLOW_SEED: 'true',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => {
    output += d;
    if (process.env.BENCH_SERVER_LOG) fs.appendFileSync(process.env.BENCH_SERVER_LOG, d);
  });
  const deadline = Date.now() + 60_000;
  while (!output.includes('orderflow is up')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`orderflow did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    call: jsonCaller(url),
    stop: () => stopServerProcess(child, dataDir),
  };
}

/** Stops a benchmark's server process: SIGTERM, SIGKILL if it is not gone within 15 s, then its data dir removed. */
export async function stopServerProcess(child: ChildProcess, dataDir: string): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
}
