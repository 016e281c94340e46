import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(root, 'src/cli.ts');

export interface VendorsProcess {
  child: ChildProcess;
  /** What its start-up banner says to give every orderflow process: ORDERFLOW_SMS_URL, …, ORDERFLOW_VENDORS_URL. */
  env: Record<string, string>;
  adminUrl: string;
  /** SIGTERM, then the exit code (SIGKILL and a thrown error if it has not exited within `limitMs`). */
  stop(limitMs?: number): Promise<number | null>;
}

/** Runs `orderflow vendors` as a real child process (free ports unless `args` say otherwise) and reads its banner. */
export async function startVendorsProcess(env: Record<string, string> = {}, args: string[] = ['--port', '0']): Promise<VendorsProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'vendors', ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let line: RegExpExecArray | null = null;
  while (!(line = /^\s*(ORDERFLOW_SMS_URL=.*ORDERFLOW_VENDORS_URL=\S+)\s*$/m.exec(output))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`orderflow vendors did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const vars = Object.fromEntries(line[1].split(/\s+/).map((pair) => pair.split('=', 2) as [string, string]));
  return {
    child,
    env: vars,
    adminUrl: vars.ORDERFLOW_VENDORS_URL,
    async stop(limitMs = 15_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), limitMs).unref());
      const code = await Promise.race([exited, timer]);
      if (code === 'late') {
        child.kill('SIGKILL');
        throw new Error(`orderflow vendors did not exit within ${limitMs} ms of SIGTERM:\n${output}`);
      }
      return code;
    },
  };
}
