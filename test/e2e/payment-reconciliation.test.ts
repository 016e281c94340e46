import { describe } from 'node:test';
import { unlessDeployment } from '../support/app.js';
import { callbackKnobCases, reconciliationCases, scheduledReconciliationCases } from './payment-reconciliation.cases.js';

const noMysql = process.env.MYSQL_URL ? false : 'MYSQL_URL is not set';

describe('payments reconciliation run by the operator, SQLite', { skip: unlessDeployment() }, () => reconciliationCases('sqlite'));
describe('payments reconciliation run by the operator, MariaDB/MySQL', { skip: unlessDeployment(noMysql) }, () =>
  reconciliationCases('mysql'),
);
describe('payments reconciliation on its schedule (delayed messages), SQLite', { skip: unlessDeployment() }, () =>
  scheduledReconciliationCases('sqlite'),
);
describe('payments reconciliation on its schedule (delayed messages), MariaDB/MySQL', { skip: unlessDeployment(noMysql) }, () =>
  scheduledReconciliationCases('mysql'),
);
describe("the payment provider's callback knobs, SQLite", { skip: unlessDeployment() }, () => callbackKnobCases('sqlite'));

const rocketmq = {
  ORDERFLOW_MQ: 'rocketmq',
  ROCKETMQ_ENDPOINTS: process.env.ROCKETMQ_ENDPOINTS ?? '',
  ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
};
const noProduction = process.env.ROCKETMQ_ENDPOINTS && process.env.MYSQL_URL ? false : 'ROCKETMQ_ENDPOINTS and MYSQL_URL are not both set';

// RocketMQ's timer: the windows' delayed messages, and the repairs' order_paid and order_refund, on the production path.
describe(
  'payments reconciliation on its schedule, RocketMQ + MariaDB/MySQL, message outbox',
  { skip: unlessDeployment(noProduction) },
  () => scheduledReconciliationCases('mysql', { ...rocketmq, ORDERFLOW_ORDER_MESSAGES: 'outbox' }),
);
describe(
  'payments reconciliation run by the operator, RocketMQ (transactional messages) + MariaDB/MySQL',
  {
    skip: unlessDeployment(noProduction),
  },
  () => reconciliationCases('mysql', rocketmq),
);
