/** What the cluster's end-to-end tests share: running `npm run cluster:*` as a child, and finding ports for a cluster. */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Runs `cluster.ts <command>` (start, stop, status …) with the test cluster's settings; resolves with its exit code and
 * output. The test's own ORDERFLOW_* and PORT variables are not passed on: the cluster gets only the settings given.
 */
export function runCluster(
  command: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('ORDERFLOW_') && name !== 'PORT'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts/cluster/cluster.ts'), ...command], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** A run of `count` consecutive free ports from a random start (the vendors and the processes take base, base+1, …). */
export async function freeRange(count: number): Promise<number> {
  for (;;) {
    // Below Linux's ephemeral range (32768 up by default), where an outgoing connection can take a port seen free.
    const start = 20_000 + Math.floor(Math.random() * 12_000);
    const open = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise<boolean>((resolve) => {
            const socket = net.connect({ host: '127.0.0.1', port: start + i });
            socket.once('connect', () => {
              socket.destroy();
              resolve(true);
            });
            socket.once('error', () => resolve(false));
          }),
      ),
    );
    if (!open.includes(true)) return start;
  }
}
