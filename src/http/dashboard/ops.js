// Operations panels behind the admin token: backlog per topic and consumer group (a table and a chart
// over time), the dead-letter queue with Replay, and what analytics built from the change stream.
import { api, session } from './api.js';
import { byId, clockTime, el, every, fill, money, statusBadge, withButton } from './dom.js';
import { createLineChart } from './line-chart.js';

const QUEUES_POLL_MS = 1500;
const SLOW_POLL_MS = 5000;
const BODY_PREVIEW_CHARS = 2000;

const count = (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : String(Math.round(v)));
const emptyRow = (columns, text) => el('tr', {}, el('td', { colspan: columns, class: 'subtle' }, text));

/**
 * `chartsContainer`: where the backlog chart goes (beside the metrics charts). `token`: admin-token.js.
 * Returns refresh(), to call when the token changes.
 */
export function startOps({ chartsContainer, token }) {
  const backlog = createLineChart(chartsContainer, {
    id: 'backlog',
    title: 'Backlog per topic and consumer group',
    points: 80,
    windowLabel: 'last 2 min',
    format: count,
    minTop: 10,
    subtitle: 'messages not consumed yet (GET /api/admin/queues); needs the admin token',
  });

  const guarded = token.guard;

  const loadQueues = guarded(byId('queues-error'), async () => {
    const { engine, queues } = await api('GET', '/api/admin/queues', { auth: 'admin' });
    byId('queues-engine').textContent = `engine: ${engine}`;
    fill(
      byId('queues'),
      queues.length === 0
        ? emptyRow(5, 'no consumer groups')
        : queues.map((q) =>
            el(
              'tr',
              { dataset: { topic: q.topic, group: q.group } },
              el('td', {}, el('code', {}, q.topic)),
              el('td', {}, q.group),
              el('td', { class: 'num' }, String(q.backlog)),
              el('td', { class: 'num' }, String(q.inFlight ?? '')),
              el('td', { class: q.deadLettered > 0 ? 'num alarm' : 'num' }, String(q.deadLettered ?? '')),
            ),
          ),
    );
    backlog.add(Object.fromEntries(queues.map((q) => [`${q.topic} / ${q.group}`, q.backlog])));
  });

  const dlqError = byId('dlq-error');
  const openBodies = new Set();
  const loadDlq = guarded(dlqError, async () => {
    const letters = await api('GET', '/api/admin/dlq?limit=50', { auth: 'admin' });
    fill(
      byId('dlq'),
      letters.length === 0
        ? emptyRow(6, 'empty: no message ran out of retries')
        : letters.map((letter) => {
            const replay = el(
              'button',
              { type: 'button', disabled: Boolean(letter.replayedAt), dataset: { message: letter.messageId } },
              letter.replayedAt ? 'Replayed' : 'Replay',
            );
            replay.addEventListener('click', () =>
              withButton(replay, dlqError, async () => {
                await api('POST', `/api/admin/dlq/${encodeURIComponent(letter.messageId)}/replay`, {
                  body: { group: letter.group },
                  auth: 'admin',
                });
                await loadDlq();
              }),
            );
            const body = String(letter.body ?? '');
            return el(
              'tr',
              { dataset: { message: letter.messageId } },
              el(
                'td',
                {},
                el('code', {}, letter.originTopic),
                el('div', { class: 'subtle' }, letter.tag ?? '', ' ', (letter.keys ?? []).join(', ')),
              ),
              el('td', {}, letter.group),
              el('td', { class: 'num' }, String(letter.reconsumeTimes)),
              el(
                'td',
                {},
                clockTime(letter.deadAt),
                letter.replayedAt ? el('div', { class: 'subtle' }, `replayed ${clockTime(letter.replayedAt)}`) : null,
              ),
              el(
                'td',
                { class: 'wrap' },
                letter.lastError ?? '',
                el(
                  'details',
                  {
                    open: openBodies.has(letter.messageId), // the table is redrawn every few seconds: keep what the user opened
                    ontoggle: (event) =>
                      event.currentTarget.open ? openBodies.add(letter.messageId) : openBodies.delete(letter.messageId),
                  },
                  el('summary', { class: 'subtle' }, 'body'),
                  el('pre', { class: 'body' }, body.length > BODY_PREVIEW_CHARS ? `${body.slice(0, BODY_PREVIEW_CHARS)}…` : body),
                ),
              ),
              el('td', {}, replay),
            );
          }),
    );
  });

  const loadAnalytics = guarded(byId('analytics-error'), async () => {
    const summary = await api('GET', '/api/analytics/summary', { auth: 'admin' });
    const top = Math.max(1, ...summary.gmvByDay.map((d) => d.gmvCents));
    fill(
      byId('analytics-totals'),
      `${summary.orders} ${summary.orders === 1 ? 'order' : 'orders'} seen on the change stream`,
      summary.lastEventAt ? ` · last change ${clockTime(summary.lastEventAt)}` : '',
    );
    fill(
      byId('analytics-statuses'),
      Object.entries(summary.countsByStatus).map(([status, n]) =>
        el('span', { class: 'count', dataset: { status } }, statusBadge(status), ` ${n}`),
      ),
    );
    fill(
      byId('analytics-gmv'),
      summary.gmvByDay.length === 0
        ? emptyRow(4, 'no paid order yet')
        : summary.gmvByDay.map((d) =>
            el(
              'tr',
              {},
              el('td', {}, d.day),
              el('td', { class: 'num' }, money(d.gmvCents)),
              el('td', { class: 'num' }, String(d.orders)),
              el(
                'td',
                { class: 'bar-cell' },
                el('div', { class: 'bar' }, el('div', { class: 'bar-fill', style: `width:${(100 * d.gmvCents) / top}%` })),
              ),
            ),
          ),
    );
  });

  every(QUEUES_POLL_MS, loadQueues);
  every(SLOW_POLL_MS, async () => {
    await loadDlq();
    await loadAnalytics();
  });
  return {
    refresh() {
      if (!session.adminToken) {
        for (const [id, columns] of [
          ['queues', 5],
          ['dlq', 6],
          ['analytics-gmv', 4],
        ])
          fill(byId(id), emptyRow(columns, 'enter the admin token above'));
        fill(byId('analytics-statuses'));
        fill(byId('analytics-totals'));
      }
      loadQueues();
      loadDlq();
      loadAnalytics();
    },
  };
}
