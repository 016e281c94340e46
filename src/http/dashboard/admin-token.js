// The admin token of the Operations half: typed once, kept in localStorage, checked against the server.
import { api, session } from './api.js';
import { byId, el, fill, showError } from './dom.js';

// The demo default of ORDERFLOW_ADMIN_TOKEN (src/config.ts). It is only suggested when the server
// accepts it, i.e. when the operator did not set a token of their own.
const DEMO_ADMIN_TOKEN = 'orderflow-admin';

/**
 * Wires the token form; `onChange()` after a new token is saved or forgotten.
 * Returns { guard } for the panels that need the token.
 */
export function startAdminToken({ onChange }) {
  const form = byId('admin-form');
  const input = form.elements.adminToken;
  const state = byId('admin-state');
  const errorNode = byId('admin-error');
  // Panels are polled only while a token is stored, and not again with a token the server refused
  // (said once, at the form) until another one is saved.
  let refusedToken = null;

  const hint = byId('admin-hint');
  let demoTokenWorks = false;
  const render = () => {
    hint.hidden = !demoTokenWorks || session.adminToken === DEMO_ADMIN_TOKEN;
    fill(state, session.adminToken ? 'token saved in this browser' : 'no token: the panels below stay empty');
  };

  const save = (token) => {
    session.adminToken = token;
    input.value = token;
    refusedToken = null;
    showError(errorNode, null);
    render();
    onChange();
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    save(input.value.trim());
  });
  byId('admin-forget').addEventListener('click', () => save(''));

  // Is the demo token in force? Asking with it is the only way the API tells, and it is public anyway.
  api('GET', '/api/admin/queues', { auth: 'admin', token: DEMO_ADMIN_TOKEN }).then(
    () => {
      demoTokenWorks = true;
      fill(
        hint,
        'This server runs with the demo admin token ',
        el('code', {}, DEMO_ADMIN_TOKEN),
        ' (ORDERFLOW_ADMIN_TOKEN is not set). ',
        el('button', { type: 'button', class: 'link', onclick: () => save(DEMO_ADMIN_TOKEN) }, 'Use it'),
      );
      render();
    },
    () => {}, // refused: the operator set a token of their own, so there is nothing to suggest
  );

  input.value = session.adminToken;
  render();
  return {
    /** Wraps a panel's loader: errors go to `panelError`, a refused token to the form. */
    guard: (panelError, load) => async () => {
      const current = session.adminToken;
      if (!current || current === refusedToken) return;
      try {
        await load();
        showError(panelError, null);
        showError(errorNode, null);
      } catch (error) {
        if (error.code !== 'UNAUTHORIZED' && error.code !== 'FORBIDDEN') return showError(panelError, error);
        refusedToken = current;
        showError(errorNode, error);
      }
    },
  };
}
