import type { RouteOptions } from 'fastify';
import { route } from '../http/index.js';
import type { GroupBacklog, Messaging } from '../mq/index.js';
import { DEFAULT_HEALTHY_WITHIN_MS, type ProcessEntry, type ProcessRegistry } from './process-registry.js';

/** `up`: stamped within the healthy window; `late`: not (killed, hung, or cut off from the database); `stopped`: said goodbye. */
export type ProcessState = 'up' | 'late' | 'stopped';

export interface ProcessView extends ProcessEntry {
  state: ProcessState;
  healthy: boolean;
  /** Messages waiting for this process's consumer groups (shared with the other processes consuming as them). */
  backlog: number | null;
}

export interface GroupView {
  group: string;
  topics: string[];
  backlog: number;
  inFlight: number;
  deadLettered: number;
  /** The processes up now that consume as this group: none, with a backlog, is what an operator must act on. */
  consumers: string[];
}

/** Processes and consumer groups as the dashboard shows them; pure, so the rules are tested without a deployment. */
export function processesView(entries: ProcessEntry[], queues: GroupBacklog[] | undefined, now: number, healthyWithinMs: number) {
  const processes: ProcessView[] = entries.map((entry) => {
    const state: ProcessState = entry.stoppedAt !== null ? 'stopped' : now - entry.lastSeenAt <= healthyWithinMs ? 'up' : 'late';
    const backlog = queues ? queues.filter((q) => entry.groups.includes(q.group)).reduce((sum, q) => sum + q.backlog, 0) : null;
    return { ...entry, state, healthy: state === 'up', backlog: entry.groups.length === 0 ? null : backlog };
  });
  const byGroup = new Map<string, GroupView>();
  for (const q of queues ?? []) {
    const view = byGroup.get(q.group) ?? { group: q.group, topics: [], backlog: 0, inFlight: 0, deadLettered: 0, consumers: [] };
    view.topics.push(q.topic);
    view.backlog += q.backlog;
    view.inFlight += q.inFlight;
    view.deadLettered += q.deadLettered;
    byGroup.set(q.group, view);
  }
  for (const p of processes) {
    if (!p.healthy) continue;
    for (const group of p.groups) byGroup.get(group)?.consumers.push(p.name);
  }
  return { processes, groups: [...byGroup.values()].sort((a, b) => a.group.localeCompare(b.group)) };
}

/** GET /api/admin/processes: every process of the deployment and the backlog of each consumer group. */
export function processesRoute(deps: {
  registry: ProcessRegistry;
  mq: Messaging;
  clock: () => number;
  heartbeatMs: number;
  healthyWithinMs?: number;
}): RouteOptions {
  const healthyWithinMs = deps.healthyWithinMs ?? DEFAULT_HEALTHY_WITHIN_MS;
  return route({
    method: 'GET',
    url: '/admin/processes',
    auth: 'admin',
    tags: ['admin'],
    summary: 'Every process of the deployment (as each registers itself) and the backlog per consumer group',
    handler: async () => {
      // The processes are listed even when the broker does not answer: that is when an operator needs them most.
      const [entries, queues] = await Promise.all([
        deps.registry.list(),
        deps.mq.admin.backlog().then(
          (q) => ({ q }),
          (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
        ),
      ]);
      const now = deps.clock();
      const view = processesView(entries, 'q' in queues ? queues.q : undefined, now, healthyWithinMs);
      return {
        now,
        heartbeatMs: deps.heartbeatMs,
        healthyWithinMs,
        ...view,
        ...('error' in queues ? { backlogError: queues.error } : {}),
      };
    },
  });
}
