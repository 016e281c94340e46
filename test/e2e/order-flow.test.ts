import { describe } from 'node:test';
import { deploymentOnly, unlessDeployment } from '../support/app.js';
import { orderFlowCases } from './order-flow.cases.js';

describe('order flow end to end on SQLite', { skip: unlessDeployment() }, () => orderFlowCases('sqlite'));

describe(
  'order flow end to end on MariaDB/MySQL',
  { skip: unlessDeployment(process.env.MYSQL_URL ? false : 'MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/orderflow)') },
  () => orderFlowCases('mysql'),
);

describe(
  'order flow end to end on RocketMQ (and SQLite)',
  { skip: unlessDeployment(process.env.ROCKETMQ_ENDPOINTS ? false : 'ROCKETMQ_ENDPOINTS is not set (npm run rocketmq:start)') },
  () =>
    orderFlowCases('sqlite', {
      ORDERFLOW_MQ: 'rocketmq',
      ROCKETMQ_ENDPOINTS: process.env.ROCKETMQ_ENDPOINTS ?? '',
      ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
    }),
);

describe('order flow end to end with the message outbox (ORDERFLOW_ORDER_MESSAGES=outbox), on SQLite', { skip: unlessDeployment() }, () =>
  orderFlowCases('sqlite', { ORDERFLOW_ORDER_MESSAGES: 'outbox' }),
);

describe(
  'order flow end to end with the message outbox on RocketMQ and MariaDB/MySQL',
  {
    skip: unlessDeployment(
      process.env.ROCKETMQ_ENDPOINTS && process.env.MYSQL_URL ? false : 'ROCKETMQ_ENDPOINTS and MYSQL_URL are not both set',
    ),
  },
  () =>
    orderFlowCases('mysql', {
      ORDERFLOW_ORDER_MESSAGES: 'outbox',
      ORDERFLOW_MQ: 'rocketmq',
      ROCKETMQ_ENDPOINTS: process.env.ROCKETMQ_ENDPOINTS ?? '',
      ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
    }),
);

describe('order flow end to end on a running deployment (ORDERFLOW_TEST_URL, e.g. the cluster)', { skip: deploymentOnly }, () =>
  orderFlowCases('sqlite'),
);
