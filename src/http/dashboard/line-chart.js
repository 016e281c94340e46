// A hand-written SVG line chart for live series: a fixed window of the last N readings, newest at the
// right, a gap where a reading is unknown (null), a legend with the latest and the highest value.
import { el } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563', '#65a30d', '#9333ea'];
const WIDTH = 600;
const HEIGHT = 190;
const PAD = { left: 52, right: 10, top: 10, bottom: 22 };

const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  return node;
};

/** 1, 2 or 5 times a power of ten, at least `value`: a readable top of the y axis. */
function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= value) ?? 10 * power;
}

/**
 * const chart = createLineChart(container, { id: 'paid', title: 'Orders / s', format: (v) => v.toFixed(1),
 *   series: [{ key: 'paid', label: 'paid' }] });
 * chart.add({ paid: 3.2 });   // once per reading; unknown keys become new series (backlog per group)
 */
export function createLineChart(container, { id, title, subtitle, format = String, series = [], points = 90, minTop = 1, windowLabel }) {
  const known = [];
  const values = new Map(); // key → array of readings (number | null), oldest first
  let readings = 0;

  const plot = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': title, class: 'chart-svg' });
  const legend = el('div', { class: 'legend' });
  const card = el(
    'div',
    { class: 'card chart', id: `chart-${id}`, dataset: { readings: '0' } },
    el('h3', {}, title),
    subtitle ? el('p', { class: 'subtle' }, subtitle) : null,
    plot,
    legend,
  );
  container.append(card);

  const ensure = (key, label = key) => {
    if (values.has(key)) return;
    known.push({ key, label, color: PALETTE[known.length % PALETTE.length] });
    values.set(key, new Array(readings).fill(null).slice(-points));
  };
  for (const s of series) ensure(s.key, s.label);

  function render() {
    const all = [...values.values()].flat().filter((v) => v !== null && Number.isFinite(v));
    const top = niceCeiling(Math.max(minTop, ...all));
    const innerW = WIDTH - PAD.left - PAD.right;
    const innerH = HEIGHT - PAD.top - PAD.bottom;
    const x = (i, n) => PAD.left + (innerW * (points - n + i)) / Math.max(1, points - 1);
    const y = (v) => PAD.top + innerH * (1 - v / top);
    plot.replaceChildren();
    for (const fraction of [0, 0.5, 1]) {
      const gy = y(top * fraction);
      plot.append(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: gy, y2: gy, class: 'grid' }));
      const label = svg('text', { x: PAD.left - 6, y: gy + 4, 'text-anchor': 'end', class: 'axis' });
      label.textContent = format(top * fraction);
      plot.append(label);
    }
    for (const [text, anchor, lx] of [
      [windowLabel ?? '', 'start', PAD.left],
      ['now', 'end', WIDTH - PAD.right],
    ]) {
      const label = svg('text', { x: lx, y: HEIGHT - 5, 'text-anchor': anchor, class: 'axis' });
      label.textContent = text;
      plot.append(label);
    }
    for (const { key, color } of known) {
      const list = values.get(key);
      let d = '';
      list.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) return;
        const joined = i > 0 && list[i - 1] !== null;
        d += `${joined ? 'L' : 'M'}${x(i, list.length).toFixed(1)},${y(v).toFixed(1)}`;
        // A reading with gaps on both sides would be an invisible zero-length line: draw it as a dot.
        if (!joined && (i === list.length - 1 || list[i + 1] === null)) {
          plot.append(svg('circle', { cx: x(i, list.length), cy: y(v), r: 2.5, fill: color }));
        }
      });
      if (d) plot.append(svg('path', { d, fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
    }
    legend.replaceChildren(
      ...known.map(({ key, label, color }) => {
        const list = values.get(key).filter((v) => v !== null && Number.isFinite(v));
        const last = list.length ? list[list.length - 1] : null;
        const max = list.length ? Math.max(...list) : null;
        return el(
          'span',
          { class: 'legend-item', dataset: { series: key, last: last ?? '', max: max ?? '' } },
          el('i', { style: `background:${color}` }),
          `${label} `,
          el('b', {}, last === null ? '–' : format(last)),
          el('span', { class: 'subtle' }, ` max ${max === null ? '–' : format(max)}`),
        );
      }),
    );
    card.dataset.readings = String(readings);
  }

  render();
  return {
    /** One reading: { key: number | null }; a series missing from it gets null (a gap). */
    add(reading) {
      for (const key of Object.keys(reading)) ensure(key);
      readings += 1;
      for (const { key } of known) {
        const list = values.get(key);
        list.push(reading[key] ?? null);
        if (list.length > points) list.shift();
      }
      render();
    },
  };
}
