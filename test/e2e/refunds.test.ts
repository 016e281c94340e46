import { describe } from 'node:test';
import { refundCases } from './refunds.cases.js';

describe('refunds end to end on SQLite', () => refundCases('sqlite'));

describe(
  'refunds end to end on MariaDB/MySQL',
  { skip: process.env.MYSQL_URL ? false : 'MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/orderflow)' },
  () => refundCases('mysql'),
);

describe('refunds end to end with the message outbox (ORDERFLOW_ORDER_MESSAGES=outbox), on SQLite', () =>
  refundCases('sqlite', { ORDERFLOW_ORDER_MESSAGES: 'outbox' }));
