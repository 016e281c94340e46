// Flash sales: units left per sale, and "grab one" — a ticket that the rate-limited order creator turns
// into an order soon after (polled here), or a refusal (sold out, one unit per user) shown as such.
import { api, session } from './api.js';
import { byId, clockTime, el, every, fill, money, showError, withButton } from './dom.js';

const SALES_POLL_MS = 3000;
const TICKET_POLL_MS = 500;
const TICKET_PATIENCE_MS = 60_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function startFlashSales({ orderView, onOrdered }) {
  const list = byId('flash-sales');
  const errorNode = byId('flash-error');
  const cards = new Map(); // sale id → { stock, bar, ticket } nodes, kept so a ticket line survives refreshes

  async function followTicket(ticketId, line) {
    const deadline = Date.now() + TICKET_PATIENCE_MS;
    for (;;) {
      const ticket = await api('GET', `/api/flash-sales/tickets/${encodeURIComponent(ticketId)}`, { auth: 'user' });
      if (ticket.status === 'ORDERED') {
        fill(
          line,
          `Ticket ${ticketId}: order `,
          el('code', {}, ticket.orderId),
          ' created, waiting for payment. ',
          el('button', { type: 'button', class: 'link', onclick: () => orderView.show(ticket.orderId) }, 'Show it'),
        );
        orderView.show(ticket.orderId);
        onOrdered();
        return;
      }
      if (ticket.status === 'FAILED') {
        fill(line, `Ticket ${ticketId} failed: ${ticket.reason ?? 'no reason given'}`);
        return;
      }
      fill(line, `Ticket ${ticketId} is queued: orders are made from tickets at the rate the database can take…`);
      if (Date.now() > deadline)
        throw new Error(`Ticket ${ticketId} is still queued after ${TICKET_PATIENCE_MS / 1000} s: look again later.`);
      await sleep(TICKET_POLL_MS);
    }
  }

  function card(sale) {
    const stock = el('span', { class: 'num' });
    const bar = el('div', { class: 'bar-fill' });
    const ticket = el('p', { class: 'ticket subtle' });
    const problem = el('p', { class: 'error', role: 'alert', hidden: true }); // this sale's own: the list's polling would clear a shared one
    const grab = el('button', { type: 'button', class: 'primary', dataset: { sale: sale.id } }, 'Grab one');
    grab.addEventListener('click', () =>
      withButton(grab, problem, async () => {
        const user = session.user;
        if (!user) throw new Error('Log in first to grab a unit.');
        const { ticketId } = await api('POST', `/api/flash-sales/${encodeURIComponent(sale.id)}/orders`, {
          body: { userId: user.userId },
          auth: 'user',
        });
        await followTicket(ticketId, ticket);
      }),
    );
    const node = el(
      'div',
      { class: 'sale', dataset: { sale: sale.id } },
      el('div', { class: 'sale-head' }, el('b', {}, sale.skuId), ` at ${money(sale.priceCents)}`, grab),
      el('div', { class: 'bar' }, bar),
      el('div', { class: 'subtle' }, stock, ` of ${sale.totalStock} left · ends ${clockTime(sale.endsAt)}`),
      ticket,
      problem,
    );
    return { node, stock, bar };
  }

  every(SALES_POLL_MS, async () => {
    try {
      const sales = await api('GET', '/api/flash-sales');
      if (sales.length === 0) {
        cards.clear();
        fill(list, el('p', { class: 'subtle' }, 'No flash sale right now.'));
      }
      for (const sale of sales) {
        if (!cards.has(sale.id)) {
          if (cards.size === 0) fill(list);
          cards.set(sale.id, card(sale));
          list.append(cards.get(sale.id).node);
        }
        const { stock, bar } = cards.get(sale.id);
        stock.textContent = String(sale.stock);
        bar.style.width = `${sale.totalStock > 0 ? (100 * sale.stock) / sale.totalStock : 0}%`;
      }
      showError(errorNode, null);
    } catch (error) {
      showError(errorNode, error);
    }
  });
}
