// Payments reconciliation (GET|POST /api/admin/payments/reconciliation): the provider's ledger compared with the
// shop's payments, window by window. Lost callbacks (turn the payment provider's "drop rate" up in the third
// parties' card) show here as repaired; orders paid without money at the provider as reported.
import { api, session } from './api.js';
import { byId, clockTime, el, every, fill, withButton } from './dom.js';

const RECONCILIATION_POLL_MS = 5000;

const emptyRow = (columns, text) => el('tr', {}, el('td', { colspan: columns, class: 'subtle' }, text));
const duration = (ms) => (ms === 0 ? 'off' : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);
const windowText = (run) => `${clockTime(run.windowStart)} – ${clockTime(run.windowEnd)}`;

/** `token`: admin-token.js. Returns refresh(), to call when the token changes. */
export function startReconciliation({ token }) {
  const error = byId('reconciliation-error');
  const load = token.guard(error, async () => {
    const state = await api('GET', '/api/admin/payments/reconciliation', { auth: 'admin' });
    const { everyMs, lagMs } = state.settings;
    fill(
      byId('reconciliation-summary'),
      everyMs === 0
        ? `schedule off · ${state.totals.repaired} repaired · ${state.totals.reported} reported`
        : `every ${duration(everyMs)}, ${duration(lagMs)} after each window · ${state.totals.repaired} repaired · ${state.totals.reported} reported`,
    );
    fill(
      byId('reconciliation-runs'),
      state.runs.length === 0
        ? emptyRow(6, 'no run yet')
        : state.runs
            .slice(0, 8)
            .map((run) =>
              el(
                'tr',
                { dataset: { run: run.runId, status: run.status } },
                el('td', {}, windowText(run)),
                el('td', {}, run.startedBy === 'ADMIN' ? 'asked' : 'scheduled'),
                el('td', { title: run.error ?? '' }, run.status),
                el('td', { class: 'num' }, `${run.checkedAtProvider} / ${run.checkedHere}`),
                el('td', { class: run.repaired > 0 ? 'num' : 'num subtle' }, String(run.repaired)),
                el('td', { class: run.reported > 0 ? 'num alarm' : 'num' }, String(run.reported)),
              ),
            ),
    );
    fill(
      byId('reconciliation-differences'),
      state.discrepancies.length === 0
        ? emptyRow(5, 'no difference found')
        : state.discrepancies
            .slice(0, 20)
            .map((d) =>
              el(
                'tr',
                { dataset: { payment: d.paymentId, kind: d.kind } },
                el('td', {}, clockTime(d.foundAt)),
                el('td', {}, el('code', {}, d.orderId)),
                el('td', {}, d.kind),
                el('td', { class: d.action === 'REPORTED' ? 'alarm' : '' }, d.action.toLowerCase()),
                el('td', { class: 'subtle' }, d.detail),
              ),
            ),
    );
  });

  const button = byId('reconcile-now');
  const result = byId('reconcile-result');
  button.addEventListener('click', () =>
    withButton(button, error, async () => {
      const to = new Date();
      const from = new Date(to.getTime() - 3_600_000);
      const body = { from: from.toISOString(), to: to.toISOString() };
      const run = await api('POST', '/api/admin/payments/reconciliation', { auth: 'admin', body });
      fill(result, `last hour: ${run.checkedAtProvider} payments at the provider, ${run.repaired} repaired, ${run.reported} reported`);
      await load();
    }),
  );

  every(RECONCILIATION_POLL_MS, load);
  return {
    refresh() {
      if (!session.adminToken) {
        fill(byId('reconciliation-runs'), emptyRow(6, 'enter the admin token above'));
        fill(byId('reconciliation-differences'));
        fill(byId('reconciliation-summary'));
      }
      load();
    },
  };
}
