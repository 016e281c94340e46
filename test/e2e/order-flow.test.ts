import { describe } from 'node:test';
import { orderFlowCases } from './order-flow.cases.js';

describe('order flow end to end on SQLite', () => orderFlowCases('sqlite'));

describe('order flow end to end on MariaDB/MySQL', { skip: process.env.MYSQL_URL ? false : 'MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/orderflow)' }, () =>
  orderFlowCases('mysql'),
);
