// The dashboard's entry point: wires the shop demo and the operations panels together.
import { startAdminToken } from './admin-token.js';
import { api } from './api.js';
import { byId, every, fill } from './dom.js';
import { startFlashSales } from './flash-sales.js';
import { startKnobs } from './knobs.js';
import { startLiveCharts } from './live-charts.js';
import { startOps } from './ops.js';
import { createOrderView } from './order-view.js';
import { startProcesses } from './processes.js';
import { startReconciliation } from './reconciliation.js';
import { startShop } from './shop.js';

const HEALTH_POLL_MS = 5000;

// The health line in the header: which engine, database and flow this server runs.
every(HEALTH_POLL_MS, async () => {
  const node = byId('health');
  try {
    const health = await api('GET', '/api/health');
    fill(node, `${health.status} · mq ${health.mq} · db ${health.db} · ${health.flow} flow`);
    node.className = 'health up';
  } catch (error) {
    fill(node, error.code === 'NETWORK' ? 'server not answering' : `DOWN: ${error.message}`);
    node.className = 'health down';
  }
});

let shop;
const orderView = createOrderView({
  onChanged: () => {
    shop.refreshOrders();
    shop.refreshSkus();
  },
});
shop = startShop({ orderView });
startFlashSales({ orderView, onOrdered: () => shop.refreshOrders() });

const charts = byId('charts');
startLiveCharts(charts, byId('metrics-error'));
let ops;
let knobs;
let processes;
let reconciliation;
const token = startAdminToken({
  onChange: () => {
    ops.refresh();
    knobs.refresh();
    processes.refresh();
    reconciliation.refresh();
  },
});
ops = startOps({ chartsContainer: charts, token });
knobs = startKnobs({ token });
processes = startProcesses({ token });
reconciliation = startReconciliation({ token });
ops.refresh();
knobs.refresh();
processes.refresh();
reconciliation.refresh();
