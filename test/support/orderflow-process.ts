import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { CLI } from './vendors-process.js';

export interface OrderflowProcess {
  child: ChildProcess;
  url: string;
  /** Everything it wrote on stdout and stderr so far. */
  output(): string;
  /** Sends `signal` to its process group, as a terminal or a supervisor stopping it does. */
  signalGroup(signal: NodeJS.Signals): void;
  /** How it ended within `limitMs`, or undefined if it is still running. */
  exit(limitMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null } | undefined>;
  kill(): void;
}

/** The password of the users these processes seed: outside the demo, ORDERFLOW_SEED needs one that is not `demo`. */
export const SEED_PASSWORD = 'seeded-users-password';

/**
 * Runs `orderflow start` (the real command, from the sources) in a process group of its own and waits for its banner.
 * It runs as in production (no --demo): with an admin token, a token secret and a seed password of its own unless
 * `env` gives them.
 */
export async function startOrderflowProcess(env: Record<string, string>): Promise<OrderflowProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORDERFLOW_') && name !== 'PORT'));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
    env: {
      ...inherited,
      PORT: '0',
      LOG_LEVEL: 'warn',
      ORDERFLOW_ADMIN_TOKEN: 'orderflow-process-admin-token',
      ORDERFLOW_TOKEN_SECRET: 'orderflow-process-test-token-secret',
      ORDERFLOW_SEED_PASSWORD: SEED_PASSWORD,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 120_000;
  let banner: RegExpExecArray | null = null;
  while (!(banner = /^\s*API\s+(http:\/\/\S+)\/api\b/m.exec(output))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`orderflow did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url: banner[1],
    output: () => output,
    signalGroup: (signal) => process.kill(-(child.pid as number), signal),
    exit: (limitMs) => Promise.race([ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), limitMs).unref())]),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    },
  };
}

/** HTTP/1.1 with keep-alive, as browsers and most clients use it: connections stay open between requests. */
export class KeepAliveClient {
  readonly agent = new http.Agent({ keepAlive: true });
  #token?: string;
  constructor(readonly url: string) {}

  async login(userId: string, password = SEED_PASSWORD): Promise<void> {
    const res = await this.call('POST', '/api/auth/login', { userId, password });
    if (res.status !== 200) throw new Error(`login ${userId}: ${res.status} ${JSON.stringify(res.body)}`);
    this.#token = res.body.token;
  }

  call(method: string, path: string, body?: unknown, token = this.#token): Promise<{ status: number; body: any }> {
    const { hostname, port } = new URL(this.url);
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: hostname, port, method, path, agent: this.agent, headers }, (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
