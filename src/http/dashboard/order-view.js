// One order, polled every second while shown: its status history, what each downstream system did for
// it, and its messages with their delivery per consumer group. Pay / cancel / refund where allowed.
import { api } from './api.js';
import { byId, clockTime, el, every, fill, money, showError, statusBadge, withButton } from './dom.js';

const POLL_MS = 1000;
const PAYABLE = ['WAIT_PAY'];
// What the coupon system did with the reward of a refunded order (its `reward.revocation`).
const REVOCATION_WORDS = {
  REVOKED: 'reward revoked (refund)',
  NOT_REVOKED_ALREADY_USED: 'reward kept: already spent on a paid order',
  PENDING_RELEASE: 'reward to be revoked once the order holding it ends',
};
const REFUNDABLE = ['PAID', 'SHIPPED'];

const sinceStart = (from, to) => {
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? `+${ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`}` : '';
};

function historyList(order) {
  const first = order.history[0]?.at;
  return el(
    'ol',
    { class: 'timeline', id: 'order-history' },
    order.history.map((h) =>
      el(
        'li',
        { dataset: { status: h.to } },
        statusBadge(h.to),
        ` ${clockTime(h.at)} `,
        el('span', { class: 'subtle' }, first && h.at !== first ? sinceStart(first, h.at) : ''),
        h.note ? el('span', { class: 'subtle' }, ` · ${h.note}`) : null,
      ),
    ),
  );
}

/** One row per downstream system: what it did, or that it has not acted yet. */
function downstreamRows(order) {
  const d = order.downstream ?? {};
  const waiting = order.status === 'WAIT_PAY' ? 'nothing yet: acts once the order is paid' : 'waiting…';
  const absent = 'not run by this process';
  const row = (system, label, text, done) =>
    el('tr', { dataset: { system, done: done ? 'yes' : 'no' } }, el('th', {}, label), el('td', { class: done ? 'done' : 'pending' }, text));
  const push = d.push;
  const warehouse = d.warehouse;
  const points = d.points;
  const coupons = d.coupons;
  return [
    row(
      'push',
      'Push (SMS)',
      push === undefined
        ? absent
        : push.length === 0
          ? waiting
          : push.map((p) => `SMS sent (${p.kind}) at ${clockTime(p.sentAt)}, id ${p.smsId}`).join(' · '),
      push?.length > 0,
    ),
    row(
      'warehouse',
      'Warehouse',
      warehouse === undefined
        ? absent
        : warehouse
          ? `shipment booked at ${clockTime(warehouse.bookedAt)}, tracking ${warehouse.trackingNo}${order.trackingNo ? ' · order SHIPPED' : ''}`
          : waiting,
      Boolean(warehouse),
    ),
    row(
      'points',
      'Points',
      points === undefined
        ? absent
        : !points
          ? waiting
          : [
              points.grantedAt ? `+${points.points} points at ${clockTime(points.grantedAt)}` : null,
              points.reversal ? `${points.reversal.points} points taken back at ${clockTime(points.reversal.reversedAt)} (refund)` : null,
            ]
              .filter(Boolean)
              .join(' · '),
      Boolean(points?.grantedAt || points?.reversal),
    ),
    row(
      'coupons',
      'Coupons',
      coupons === undefined
        ? absent
        : [
            coupons?.usedCoupon ? `used ${coupons.usedCoupon}` : 'no coupon used',
            coupons?.rewardCoupon ? `reward coupon ${coupons.rewardCoupon}` : `reward coupon: ${waiting}`,
            coupons?.reward?.revocation ? (REVOCATION_WORDS[coupons.reward.revocation] ?? `reward ${coupons.reward.revocation}`) : null,
          ]
            .filter(Boolean)
            .join(' · '),
      Boolean(coupons?.rewardCoupon),
    ),
    order.refund
      ? row(
          'refund',
          'Refund',
          [
            `${money(order.refund.amountCents)} requested at ${clockTime(order.refund.requestedAt)}`,
            order.refund.refundedAt
              ? `paid back at ${clockTime(order.refund.refundedAt)} (${order.refund.providerRefundId})`
              : 'payment provider not done yet',
            order.refund.lastError ? `last error: ${order.refund.lastError}` : null,
          ]
            .filter(Boolean)
            .join(' · '),
          Boolean(order.refund.refundedAt),
        )
      : null,
  ];
}

function messagesTable(order) {
  const rows = (order.messages ?? []).map((m) =>
    el(
      'tr',
      { dataset: { topic: m.topic } },
      el('td', {}, el('code', {}, m.topic)),
      el('td', {}, m.tag ?? ''),
      el('td', {}, clockTime(m.bornAt), m.deliverAt ? el('div', { class: 'subtle' }, `due ${clockTime(m.deliverAt)}`) : null),
      el(
        'td',
        {},
        (m.deliveries ?? []).map((d) =>
          el(
            'span',
            { class: `chip state-${d.state.toLowerCase()}`, dataset: { group: d.group, state: d.state } },
            `${d.group}: ${d.state}${d.attempts > 1 ? ` ×${d.attempts}` : ''}`,
          ),
        ),
      ),
    ),
  );
  return el(
    'table',
    { class: 'table', id: 'order-messages' },
    el(
      'thead',
      {},
      el('tr', {}, el('th', {}, 'topic'), el('th', {}, 'tag'), el('th', {}, 'sent'), el('th', {}, 'delivery per consumer group')),
    ),
    el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 4, class: 'subtle' }, 'no messages'))),
  );
}

/** The panel #order-panel; `onChanged()` after an action (lists and stock to refresh). */
export function createOrderView({ onChanged }) {
  const panel = byId('order-panel');
  const errorNode = byId('order-error');
  let current = null;
  let stop = null;
  let shownStatus = null;

  const act = (label, path, body, cls) => {
    const button = el('button', { type: 'button', class: cls, dataset: { action: label.toLowerCase() } }, label);
    button.addEventListener('click', () =>
      withButton(button, errorNode, async () => {
        await api('POST', `/api/orders/${encodeURIComponent(current)}/${path}`, { body, auth: 'user' });
        shownStatus = null; // redraw the buttons for the new status
        await refresh();
        onChanged();
      }),
    );
    return button;
  };

  function actions(order) {
    const buttons = [];
    if (PAYABLE.includes(order.status)) buttons.push(act('Pay', 'pay', {}, 'primary'), act('Cancel', 'cancel', undefined, ''));
    if (REFUNDABLE.includes(order.status)) buttons.push(act('Refund', 'refund', { reason: 'asked from the dashboard' }, ''));
    if (order.status === 'REFUND_FAILED')
      buttons.push(
        el('span', { class: 'subtle' }, 'The refund ran out of retries: replay its message from the dead-letter queue (Operations).'),
      );
    return buttons;
  }

  function render(order) {
    fill(
      byId('order-title'),
      'Order ',
      el('code', {}, order.orderId),
      ' ',
      el('span', { id: 'order-status', dataset: { status: order.status } }, statusBadge(order.status)),
    );
    fill(
      byId('order-summary'),
      order.items.map((i) => `${i.quantity} × ${i.skuId} at ${money(i.priceCents)}`).join(', '),
      ` · total ${money(order.totalCents)}`,
      order.discountCents ? ` (coupon ${order.couponId} −${money(order.discountCents)})` : '',
      order.status === 'WAIT_PAY' ? ` · pay before ${clockTime(order.payDeadline)}` : '',
    );
    if (shownStatus !== order.status) {
      fill(byId('order-actions'), actions(order));
      shownStatus = order.status;
    }
    fill(byId('order-history-box'), historyList(order));
    fill(byId('order-downstream'), downstreamRows(order));
    fill(byId('order-messages-box'), messagesTable(order));
  }

  async function refresh() {
    if (!current) return;
    const id = current;
    try {
      const order = await api('GET', `/api/orders/${encodeURIComponent(id)}`, { auth: 'user' });
      if (id !== current) return; // another order was selected meanwhile
      render(order);
      showError(errorNode, null);
    } catch (error) {
      showError(errorNode, error);
    }
  }

  return {
    show(orderId) {
      stop?.();
      current = orderId;
      shownStatus = null;
      panel.hidden = false;
      byId('order-placeholder').hidden = true;
      stop = every(POLL_MS, refresh);
    },
    clear() {
      stop?.();
      stop = null;
      current = null;
      panel.hidden = true;
      byId('order-placeholder').hidden = false;
      fill(byId('order-title'), 'Order');
    },
    get current() {
      return current;
    },
  };
}
