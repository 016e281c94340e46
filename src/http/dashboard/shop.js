// The shop demo: log in as a demo user, see the products and their stock, place an order, list my orders.
import { api, session } from './api.js';
import { byId, clockTime, el, every, fill, money, showError, statusBadge, withButton } from './dom.js';

const SKUS_POLL_MS = 3000;
const ORDERS_POLL_MS = 3000;

/** `orderView`: the order panel (order-view.js). Returns refresh functions for the other panels. */
export function startShop({ orderView }) {
  const rows = new Map(); // skuId → { row, cells, quantity input }, kept across refreshes so typed quantities survive

  function renderSession() {
    const user = session.user;
    byId('login-form').hidden = Boolean(user);
    byId('whoami').hidden = !user;
    byId('whoami-user').textContent = user?.userId ?? '';
    byId('coupon').placeholder = user ? `optional, e.g. WELCOME-${user.userId}` : 'optional';
    if (!user) {
      fill(byId('my-orders'));
      orderView.clear();
    }
  }

  byId('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    void withButton(form.querySelector('button'), byId('login-error'), async () => {
      const userId = form.elements.userId.value.trim();
      const reply = await api('POST', '/api/auth/login', { body: { userId, password: form.elements.password.value } });
      session.user = { userId: reply.userId, token: reply.token };
      renderSession();
      await refreshOrders();
    });
  });
  byId('logout').addEventListener('click', () => {
    session.user = null;
    renderSession();
  });
  // api.js ends the session on a 401: the token expired, or the server restarted with a new secret.
  window.addEventListener('orderflow:session-ended', () => {
    renderSession();
    showError(byId('login-error'), 'Your session ended (the token expired or the server restarted): log in again.');
  });

  function skuRow(sku) {
    const quantity = el('input', {
      type: 'number',
      min: 0,
      max: 1000,
      value: 0,
      class: 'qty',
      'aria-label': `quantity of ${sku.name}`,
      dataset: { sku: sku.skuId },
    });
    const cells = { available: el('td', { class: 'num' }), reserved: el('td', { class: 'num' }), sold: el('td', { class: 'num' }) };
    const row = el(
      'tr',
      { dataset: { sku: sku.skuId } },
      el('td', {}, sku.name, el('div', { class: 'subtle' }, sku.skuId)),
      el('td', { class: 'num' }, money(sku.priceCents)),
      cells.available,
      cells.reserved,
      cells.sold,
      el('td', {}, quantity),
    );
    return { row, cells, quantity };
  }

  async function refreshSkus() {
    try {
      const skus = await api('GET', '/api/skus');
      for (const sku of skus) {
        if (!rows.has(sku.skuId)) {
          rows.set(sku.skuId, skuRow(sku));
          byId('skus').append(rows.get(sku.skuId).row);
        }
        const { cells } = rows.get(sku.skuId);
        for (const key of ['available', 'reserved', 'sold']) cells[key].textContent = String(sku.stock[key]);
      }
      showError(byId('skus-error'), null);
    } catch (error) {
      showError(byId('skus-error'), error);
    }
  }

  byId('order-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void withButton(byId('place-order'), byId('place-error'), async () => {
      const items = [...rows.entries()]
        .map(([skuId, { quantity }]) => ({ skuId, quantity: Number(quantity.value) }))
        .filter((item) => item.quantity > 0);
      if (items.length === 0) throw new Error('Choose a quantity of at least one product first.');
      const user = session.user;
      if (!user) throw new Error('Log in first (demo users user1 … user100, password demo).');
      const couponId = byId('coupon').value.trim() || undefined;
      const placed = await api('POST', '/api/orders', { body: { userId: user.userId, items, couponId }, auth: 'user' });
      for (const { quantity } of rows.values()) quantity.value = '0';
      byId('coupon').value = '';
      orderView.show(placed.orderId);
      await Promise.all([refreshSkus(), refreshOrders()]);
    });
  });

  async function refreshOrders() {
    const user = session.user;
    if (!user) return;
    try {
      const page = await api('GET', `/api/orders?userId=${encodeURIComponent(user.userId)}&limit=20`, { auth: 'user' });
      fill(
        byId('my-orders'),
        page.orders.length === 0
          ? el('tr', {}, el('td', { colspan: 4, class: 'subtle' }, 'no orders yet'))
          : page.orders.map((o) =>
              el(
                'tr',
                {
                  class: o.orderId === orderView.current ? 'selected clickable' : 'clickable',
                  dataset: { order: o.orderId },
                  onclick: () => {
                    orderView.show(o.orderId);
                    void refreshOrders();
                  },
                },
                el('td', {}, el('code', {}, o.orderId)),
                el('td', {}, statusBadge(o.status)),
                el('td', { class: 'num' }, money(o.totalCents)),
                el('td', {}, clockTime(o.createdAt)),
              ),
            ),
      );
      showError(byId('my-orders-error'), null);
    } catch (error) {
      showError(byId('my-orders-error'), error);
    }
  }

  renderSession();
  every(SKUS_POLL_MS, refreshSkus);
  every(ORDERS_POLL_MS, refreshOrders);
  return { refreshSkus, refreshOrders };
}
