// The simulated vendors' live knobs (latency, jitter, failure rate, outage) and their counters. Set SMS
// to 1,000 ms and the pay latency chart stays flat: the SMS is sent after the order_paid message.
import { api, session } from './api.js';
import { byId, el, every, fill, withButton } from './dom.js';

const VENDORS = [
  { name: 'sms', label: 'SMS vendor', calledBy: 'push system' },
  { name: 'logistics', label: 'Logistics company', calledBy: 'warehouse system' },
  { name: 'payment', label: 'Payment provider', calledBy: 'order system and refund worker', callbacks: true },
];
// The payment provider's callbacks (its events to the shop): late, out of order, doubled or lost. Lost ones are
// found by the payments reconciliation (its card below).
const CALLBACK_KNOBS = [
  ['callbackDelayMs', 'callback delay ms', { min: 0, max: 60000, step: 1 }],
  ['callbackReorderMs', 'reorder within ms', { min: 0, max: 60000, step: 1 }],
  ['callbackDuplicateRate', 'duplicate rate', { min: 0, max: 1, step: 0.05 }],
  ['callbackDropRate', 'drop rate', { min: 0, max: 1, step: 0.05 }],
];
const STATS_POLL_MS = 3000;

const callbacksText = (c) =>
  c
    ? ` · callbacks: ${c.events} events, ${c.delivered} delivered, ${c.duplicated} doubled, ${c.dropped} dropped, ${c.abandoned} given up`
    : '';
const statsText = (s) =>
  s
    ? `${s.requests} requests · ${s.successes} ok · ${s.failures} failed · ${s.rejected} rejected · ${s.inFlight} in flight${callbacksText(s.callbacks)}`
    : '';

export function startKnobs({ token }) {
  const forms = new Map(); // name → { form, stats, error, loaded }

  for (const vendor of VENDORS) {
    const field = (name, label, attrs) => el('label', {}, label, el('input', { name, required: true, ...attrs }));
    const error = el('p', { class: 'error', role: 'alert', hidden: true });
    const saved = el('span', { class: 'subtle saved' });
    const stats = el('div', { class: 'subtle stats' });
    const form = el(
      'form',
      { class: 'knobs', dataset: { vendor: vendor.name } },
      el('div', { class: 'knobs-head' }, el('b', {}, vendor.label), el('span', { class: 'subtle' }, ` called by the ${vendor.calledBy}`)),
      el(
        'div',
        { class: 'knobs-fields' },
        field('latencyMs', 'latency ms', { type: 'number', min: 0, max: 60000, step: 1 }),
        field('jitterMs', 'jitter ms', { type: 'number', min: 0, max: 60000, step: 1 }),
        field('failureRate', 'failure rate', { type: 'number', min: 0, max: 1, step: 0.05 }),
        el('label', { class: 'check' }, el('input', { name: 'down', type: 'checkbox' }), 'down'),
        el('button', { type: 'submit' }, 'Apply'),
        saved,
      ),
      vendor.callbacks &&
        el(
          'div',
          { class: 'knobs-fields' },
          CALLBACK_KNOBS.map(([name, label, attrs]) => field(name, label, { type: 'number', ...attrs })),
        ),
      stats,
      error,
    );
    forms.set(vendor.name, { form, stats, error, saved, loaded: false });
    byId('knobs').append(form);

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void withButton(form.querySelector('button'), error, async () => {
        const f = form.elements;
        const patch = {
          latencyMs: Number(f.latencyMs.value),
          jitterMs: Number(f.jitterMs.value),
          failureRate: Number(f.failureRate.value),
          down: f.down.checked,
        };
        if (vendor.callbacks) for (const [name] of CALLBACK_KNOBS) patch[name] = Number(f[name].value);
        const reply = await api('PUT', `/api/admin/third-parties/${vendor.name}`, { body: patch, auth: 'admin' });
        show(vendor.name, reply);
        saved.textContent = `applied at ${new Date().toLocaleTimeString([], { hour12: false })}`;
      });
    });
  }

  /** Puts the server's knobs into the inputs (only on first load and after Apply: never over typing). */
  function show(name, knobs) {
    const { form } = forms.get(name);
    const f = form.elements;
    f.latencyMs.value = knobs.latencyMs;
    f.jitterMs.value = knobs.jitterMs;
    f.failureRate.value = knobs.failureRate;
    f.down.checked = knobs.down;
    for (const [knob] of CALLBACK_KNOBS) if (f[knob] && knobs[knob] !== undefined) f[knob].value = knobs[knob];
    form.dataset.latencyMs = String(knobs.latencyMs);
  }

  const loaders = VENDORS.map(({ name }) => {
    const entry = forms.get(name);
    return token.guard(entry.error, async () => {
      const reply = await api('GET', `/api/admin/third-parties/${name}`, { auth: 'admin' });
      if (!entry.loaded) show(name, reply);
      entry.loaded = true;
      fill(entry.stats, statsText(reply.stats));
    });
  });

  every(STATS_POLL_MS, () => Promise.all(loaders.map((load) => load())));
  return {
    refresh() {
      for (const entry of forms.values()) {
        entry.loaded = false;
        if (!session.adminToken) fill(entry.stats, 'enter the admin token above');
      }
      for (const load of loaders) load();
    },
  };
}
