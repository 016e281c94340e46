/**
 * The processes a cluster started, and only those: each is spawned in a session of its own (it outlives the
 * command that started it), its output goes to a log file, and its pid is recorded with the time the kernel
 * says it started, so that a later stop never signals a process that merely reuses the pid.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Role } from './plan.js';

export interface RecordedProcess {
  name: string;
  role: Role;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: with the pid, it names one process for the machine's uptime. */
  startTicks: string;
  url?: string;
  log: string;
  /** False for a server the cluster found running and reused: listed, never stopped. */
  startedByCluster: boolean;
}

export interface ClusterState {
  publicUrl: string;
  startedAt: string;
  processes: RecordedProcess[];
  /** Servers the cluster started with scripts of their own (scripts/rocketmq/stop.sh) rather than by pid. */
  startedRocketMQ: boolean;
}

export const stateFile = (dir: string) => path.join(dir, 'state.json');

export function readState(dir: string): ClusterState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFile(dir), 'utf8')) as ClusterState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Written to a temporary file, then renamed: a stop reading it never sees half a file. */
export function writeState(dir: string, state: ClusterState): void {
  fs.mkdirSync(dir, { recursive: true });
  const tmp = `${stateFile(dir)}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, stateFile(dir));
}

export function startTicksOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Alive, and the very process that was recorded (not a zombie, not another one with its pid). */
export function isRunning(process: Pick<RecordedProcess, 'pid' | 'startTicks'>): boolean {
  const ticks = startTicksOf(process.pid);
  if (ticks === undefined || ticks !== process.startTicks) return false;
  try {
    const state = fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    return state.slice(state.lastIndexOf(')') + 2, state.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface Spawned extends RecordedProcess {
  /** Resolves with how it ended (while the starting command runs). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `command args` in its own session with its output appended to `log`. */
export function spawnDetached(options: {
  name: string;
  role: Role;
  command: string;
  args: string[];
  env: Record<string, string>;
  log: string;
  url?: string;
  cwd: string;
}): Spawned {
  fs.mkdirSync(path.dirname(options.log), { recursive: true });
  const fd = fs.openSync(options.log, 'a');
  fs.writeSync(fd, `===== ${new Date().toISOString()} starting ${options.name}: ${options.command} ${options.args.join(' ')}\n`);
  const child = spawn(options.command, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', fd, fd], detached: true });
  fs.closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
  return {
    name: options.name,
    role: options.role,
    pid,
    startTicks: startTicksOf(pid) ?? '',
    url: options.url,
    log: options.log,
    startedByCluster: true,
    exited,
  };
}

/**
 * SIGTERM to the process's group (it leads one: spawned detached), up to `graceMs` for it to exit, then SIGKILL.
 * Does nothing to a process that is not the recorded one.
 */
export async function stopProcess(process: RecordedProcess, graceMs: number): Promise<'stopped' | 'killed' | 'not running'> {
  if (!process.startedByCluster || !isRunning(process)) return 'not running';
  const signal = (name: NodeJS.Signals) => {
    try {
      globalThis.process.kill(-process.pid, name);
    } catch {
      try {
        globalThis.process.kill(process.pid, name);
      } catch {
        // gone meanwhile
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(process)) return 'stopped';
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  signal('SIGKILL');
  for (let i = 0; i < 50 && isRunning(process); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  return 'killed';
}

/** The last non-empty line a process wrote (for a one-line report of why it stopped). */
export function lastLine(log: string): string {
  try {
    const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n');
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = lines[i].trim();
      if (!line) continue;
      // A pino line: its message is what tells.
      if (line.startsWith('{')) {
        try {
          const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
          return [entry.msg, entry.err?.message].filter(Boolean).join(': ') || line;
        } catch {
          return line;
        }
      }
      return line;
    }
  } catch {
    // no log
  }
  return '(no output)';
}
