import { type ChildProcess, spawn } from 'node:child_process';

/** A child process that announces what it did, one line at a time on stdout, and that a test kills at a chosen line. */
export interface AnnouncingChild {
  child: ChildProcess;
  /** Waits for the first line starting with `prefix` and returns the rest of it (throws past `timeoutMs` or if the child ends). */
  announced(prefix: string, timeoutMs?: number): Promise<string>;
  /** SIGKILL, then waits for the process to be gone. */
  kill(): Promise<void>;
}

/** Runs a TypeScript file with tsx in a child process. */
export function spawnAnnouncing(file: string, args: string[]): AnnouncingChild {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  child.stdout?.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts);
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    async announced(prefix, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = lines.find((l) => l.startsWith(`${prefix} `));
        if (line !== undefined) return line.slice(prefix.length + 1);
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`the child did not announce ${prefix} (it said: ${lines.join(' | ')}; stderr: ${stderr})`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await gone;
    },
  };
}
