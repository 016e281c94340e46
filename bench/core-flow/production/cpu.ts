/**
 * CPU time of the benchmark's processes from /proc (Linux): user + system time of each (its threads included),
 * and the machine's busy share from /proc/stat, between two snapshots. Elsewhere there is no /proc: undefined.
 */
import fs from 'node:fs';
import os from 'node:os';

interface Snapshot {
  at: number;
  /** pid → CPU ms so far. */
  perProcess: Map<number, number>;
  names: Map<number, string>;
  /** Machine-wide [busy, total] jiffies. */
  machine: [number, number];
}

// USER_HZ: the unit of /proc's times; 100 on every Linux build in use.
const TICK_MS = 10;

function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 14th and 15th of the line.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

function machineJiffies(): [number, number] {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + (cpu[4] ?? 0); // idle + iowait
  const total = cpu.reduce((sum, n) => sum + (Number.isFinite(n) ? n : 0), 0);
  return [total - idle, total];
}

export function cpuSnapshot(processes: { name: string; pid: number | undefined }[]): Snapshot | undefined {
  if (!fs.existsSync('/proc/stat')) return undefined;
  const perProcess = new Map<number, number>();
  const names = new Map<number, string>();
  for (const p of processes) {
    if (p.pid === undefined) continue;
    const ms = processCpuMs(p.pid);
    if (ms === undefined) continue;
    perProcess.set(p.pid, ms);
    names.set(p.pid, p.name);
  }
  return { at: performance.now(), perProcess, names, machine: machineJiffies() };
}

/** CPU ms each process spent between the snapshots, and the machine's busy share (0 … 1 of all its cores). */
export function cpuSpent(before: Snapshot | undefined, after: Snapshot | undefined) {
  if (!before || !after) return undefined;
  const processes = [...after.perProcess].flatMap(([pid, ms]) => {
    const start = before.perProcess.get(pid);
    return start === undefined ? [] : [{ name: after.names.get(pid) ?? String(pid), pid, cpuMs: ms - start }];
  });
  const busy = after.machine[0] - before.machine[0];
  const total = after.machine[1] - before.machine[1];
  return { processes, machineBusy: total > 0 ? busy / total : 0, cores: os.cpus().length, seconds: (after.at - before.at) / 1000 };
}
