// The deployment's processes, as each registers itself in the deployment database (GET /api/admin/processes):
// whichever instance the load balancer sends this page's request to answers for all of them, so a killed
// process shows as late here while its peers still serve. Then each consumer group's backlog and who consumes it.
import { api, session } from './api.js';
import { byId, clockTime, el, every, fill } from './dom.js';

const PROCESSES_POLL_MS = 3000;

// Colours of the message-state chips: up green, late red, stopped grey.
const STATE_CLASS = { up: 'state-consumed', late: 'state-retrying', stopped: 'state-filtered' };

const emptyRow = (columns, text) => el('tr', {}, el('td', { colspan: columns, class: 'subtle' }, text));

/** "4 s ago", "3 min ago", or the clock time past an hour. */
function ago(ms, at) {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return clockTime(new Date(at).toISOString());
}

/** `token`: admin-token.js. Returns refresh(), to call when the token changes. */
export function startProcesses({ token }) {
  const load = token.guard(byId('processes-error'), async () => {
    const answer = await api('GET', '/api/admin/processes', { auth: 'admin' });
    const up = answer.processes.filter((p) => p.state === 'up').length;
    fill(
      byId('processes-summary'),
      `${up} of ${answer.processes.length} up · up = seen within ${answer.healthyWithinMs / 1000} s (each stamps every ${answer.heartbeatMs / 1000} s)`,
    );
    fill(
      byId('processes'),
      answer.processes.length === 0
        ? emptyRow(7, 'no process registered')
        : answer.processes.map((p) =>
            el(
              'tr',
              { dataset: { process: p.name, state: p.state } },
              el('td', {}, el('b', {}, p.name)),
              el('td', {}, p.systems.join(', ')),
              el('td', { class: 'num' }, String(p.pid)),
              el('td', {}, p.host, el('div', { class: 'subtle' }, p.url)),
              el('td', {}, el('span', { class: `chip ${STATE_CLASS[p.state] ?? ''}` }, p.state)),
              el('td', { title: new Date(p.lastSeenAt).toISOString() }, ago(answer.now - p.lastSeenAt, p.lastSeenAt)),
              el('td', { class: 'num', title: p.groups.join(', ') }, p.backlog === null ? '' : String(p.backlog)),
            ),
          ),
    );
    fill(
      byId('process-groups'),
      answer.backlogError
        ? emptyRow(5, `backlog unknown: ${answer.backlogError}`)
        : answer.groups.length === 0
          ? emptyRow(5, 'no consumer groups')
          : answer.groups.map((g) =>
              el(
                'tr',
                { dataset: { group: g.group } },
                el('td', {}, g.group),
                el(
                  'td',
                  {},
                  g.topics.map((t) => el('code', { class: 'chip' }, t)),
                ),
                el('td', { class: g.backlog > 0 && g.consumers.length === 0 ? 'num alarm' : 'num' }, String(g.backlog)),
                el('td', { class: g.deadLettered > 0 ? 'num alarm' : 'num' }, String(g.deadLettered)),
                el('td', { class: 'subtle' }, g.consumers.length === 0 ? 'no process up consumes it' : g.consumers.join(', ')),
              ),
            ),
    );
  });

  every(PROCESSES_POLL_MS, load);
  return {
    refresh() {
      if (!session.adminToken) {
        fill(byId('processes'), emptyRow(7, 'enter the admin token above'));
        fill(byId('process-groups'));
        fill(byId('processes-summary'));
      }
      load();
    },
  };
}
