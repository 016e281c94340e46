import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Runs the sending child with `options`, kills it with SIGKILL once `count` sends were acked. */
export function sendThenKill(options: object, topic: string, count: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, '../contract/kill-child.ts'), JSON.stringify(options), topic], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: string[] = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child acked only ${acked.length} sends in 60 s; stderr: ${stderr}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line && line !== 'READY') acked.push(line);
      if (acked.length >= count && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited by itself (code ${code}); stderr: ${stderr}`));
    });
  });
}
