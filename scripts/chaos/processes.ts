import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChaosSetupError } from './load.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'src/cli.ts');

/** A child the harness started, in a process group of its own (so a kill takes its worker threads and children too). */
export interface Child {
  name: string;
  process: ChildProcess;
  output(): string;
  /** Resolves with how it ended. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
  alive(): boolean;
}

/** Where every child's output is appended (`.chaos/logs/<name>.log`), to read after a run that found a violation. */
export const LOG_DIR = path.join(ROOT, '.chaos', 'logs');

export function spawnChild(name: string, command: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  fs.mkdirSync(LOG_DIR, { recursive: true });
  const file = fs.createWriteStream(path.join(LOG_DIR, `${name}.log`), { flags: 'a' });
  file.write(`===== ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  child.once('exit', () => file.end());
  let output = '';
  const keep = (chunk: Buffer) => {
    file.write(chunk);
    output += chunk;
    if (output.length > 200_000) output = output.slice(-100_000); // the tail is what explains a failure
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    process: child,
    output: () => output,
    ended,
    alive,
    signal(signal) {
      if (!alive()) return;
      try {
        process.kill(-(child.pid as number), signal);
      } catch {
        // already gone
      }
    },
  };
}

/** `orderflow <command>` from the sources, as the tests run it. */
export function spawnOrderflow(name: string, command: 'start' | 'vendors', args: string[], env: Record<string, string>): Child {
  return spawnChild(name, process.execPath, ['--import', 'tsx', CLI, command, ...args], env);
}

/** Waits for a line of its output matching `pattern`; the child's output tail in the error if it never comes. */
export async function waitForOutput(child: Child, pattern: RegExp, limitMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const found = pattern.exec(child.output());
    if (found) return found;
    if (!child.alive() || Date.now() > deadline)
      throw new ChaosSetupError(`${child.name} did not print ${pattern} within ${limitMs} ms:\n${child.output().slice(-4_000)}`);
    await sleep(100);
  }
}

/** `orderflow vendors` on free ports: the environment its banner says to give every orderflow process. */
export async function startVendors(
  adminToken: string,
  extraEnv: Record<string, string>,
): Promise<{ child: Child; env: Record<string, string> }> {
  const child = spawnOrderflow('vendors', 'vendors', ['--port', '0'], {
    LOG_LEVEL: 'warn',
    ORDERFLOW_ADMIN_TOKEN: adminToken,
    ...extraEnv,
  });
  const line = await waitForOutput(child, /^\s*(ORDERFLOW_SMS_URL=.*ORDERFLOW_VENDORS_URL=\S+)\s*$/m, 60_000);
  const env = Object.fromEntries(line[1].split(/\s+/).map((pair) => pair.split('=', 2) as [string, string]));
  return { child, env };
}

/** A port free now (the OS picks it); a restarted process gets the same one, so clients keep their URL. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `probe` until it answers true; the time it took, or undefined past `limitMs`. */
export async function timeUntil(probe: () => Promise<boolean>, limitMs: number, everyMs = 100): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (await probe().catch(() => false)) return Date.now() - started;
    await sleep(everyMs);
  }
  return undefined;
}
