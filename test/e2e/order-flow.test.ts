import { describe } from 'node:test';
import { orderFlowCases } from './order-flow.cases.js';

describe('order flow end to end on SQLite', () => orderFlowCases('sqlite'));

describe(
  'order flow end to end on MariaDB/MySQL',
  { skip: process.env.MYSQL_URL ? false : 'MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/orderflow)' },
  () => orderFlowCases('mysql'),
);

describe(
  'order flow end to end on RocketMQ (and SQLite)',
  { skip: process.env.ROCKETMQ_ENDPOINTS ? false : 'ROCKETMQ_ENDPOINTS is not set (npm run rocketmq:start)' },
  () =>
    orderFlowCases('sqlite', {
      ORDERFLOW_MQ: 'rocketmq',
      ROCKETMQ_ENDPOINTS: process.env.ROCKETMQ_ENDPOINTS ?? '',
      ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
    }),
);

describe('order flow end to end with the message outbox (ORDERFLOW_ORDER_MESSAGES=outbox), on SQLite', () =>
  orderFlowCases('sqlite', { ORDERFLOW_ORDER_MESSAGES: 'outbox' }));

describe(
  'order flow end to end with the message outbox on RocketMQ and MariaDB/MySQL',
  {
    skip: process.env.ROCKETMQ_ENDPOINTS && process.env.MYSQL_URL ? false : 'ROCKETMQ_ENDPOINTS and MYSQL_URL are not both set',
  },
  () =>
    orderFlowCases('mysql', {
      ORDERFLOW_ORDER_MESSAGES: 'outbox',
      ORDERFLOW_MQ: 'rocketmq',
      ROCKETMQ_ENDPOINTS: process.env.ROCKETMQ_ENDPOINTS ?? '',
      ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
    }),
);
