import { describe } from 'node:test';
import { deploymentOnly, unlessDeployment } from '../support/app.js';
import { refundCases } from './refunds.cases.js';

describe('refunds end to end on SQLite', { skip: unlessDeployment() }, () => refundCases('sqlite'));

describe(
  'refunds end to end on MariaDB/MySQL',
  { skip: unlessDeployment(process.env.MYSQL_URL ? false : 'MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/orderflow)') },
  () => refundCases('mysql'),
);

describe('refunds end to end with the message outbox (ORDERFLOW_ORDER_MESSAGES=outbox), on SQLite', { skip: unlessDeployment() }, () =>
  refundCases('sqlite', { ORDERFLOW_ORDER_MESSAGES: 'outbox' }),
);

describe('refunds end to end on a running deployment (ORDERFLOW_TEST_URL, e.g. the cluster)', { skip: deploymentOnly }, () =>
  refundCases('sqlite'),
);
