// Small DOM helpers. Elements are built with textContent, never innerHTML, so nothing the API returns
// (order ids, error messages, message bodies) can inject markup.

/**
 * el('td', { class: 'num', dataset: { group: 'push' } }, 'text', childNode)
 * Attributes starting with "on" are event listeners; `false`/`null`/`undefined` children are skipped.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') Object.assign(node.dataset, value);
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'class') node.className = value;
    // Through the CSSOM: the content security policy refuses inline style attributes, not this.
    else if (name === 'style') node.style.cssText = value;
    else if (name in node && typeof value !== 'string') node[name] = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's content. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const byId = (id) => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`dashboard: no element #${id}`);
  return node;
};

export const money = (cents) => (Number(cents) / 100).toFixed(2);

/** "07:48:26" in the browser's time zone; the date only when it is not today. */
export function clockTime(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour12: false }) : date.toLocaleString([], { hour12: false });
}

/** A status badge whose colour comes from the CSS class of its status. */
export const statusBadge = (status) => el('span', { class: `badge status-${String(status).toLowerCase()}` }, status);

/** Shows an error in plain words in `node` (a role=alert paragraph), or hides it when `error` is null. */
export function showError(node, error) {
  if (!error) {
    node.hidden = true;
    node.textContent = '';
    return;
  }
  node.hidden = false;
  node.textContent = error instanceof Error ? error.message : String(error);
}

/** Runs `action` with the button disabled, so a double click cannot send twice; errors go to `errorNode`. */
export async function withButton(button, errorNode, action) {
  button.disabled = true;
  showError(errorNode, null);
  try {
    await action();
  } catch (error) {
    showError(errorNode, error);
  } finally {
    button.disabled = false;
  }
}

/** Calls `tick` now and then every `ms`, never overlapping itself; returns a stop function. */
export function every(ms, tick) {
  let stopped = false;
  let timer;
  const run = async () => {
    try {
      await tick();
    } catch (error) {
      console.error('dashboard: a periodic update failed', error); // ticks show their own errors; this is a bug
    } finally {
      if (!stopped) timer = setTimeout(run, ms);
    }
  };
  void run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
