import { describe } from 'node:test';
import { unlessDeployment } from '../support/app.js';
import { paymentRaceCases } from './payment-races.cases.js';

describe('payment races on the embedded default (SQLite)', { skip: unlessDeployment() }, () => paymentRaceCases('sqlite'));

describe(
  'payment races on RocketMQ and MariaDB/MySQL, with the message outbox (the production setting)',
  {
    skip: unlessDeployment(
      process.env.ROCKETMQ_ENDPOINTS && process.env.MYSQL_URL ? false : 'ROCKETMQ_ENDPOINTS and MYSQL_URL are not both set',
    ),
  },
  () =>
    paymentRaceCases('mysql', {
      ORDERFLOW_ORDER_MESSAGES: 'outbox',
      ORDERFLOW_MQ: 'rocketmq',
      ROCKETMQ_ENDPOINTS: process.env.ROCKETMQ_ENDPOINTS ?? '',
      ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
    }),
);

describe(
  'payment races on RocketMQ (transactional messages) and SQLite',
  { skip: unlessDeployment(process.env.ROCKETMQ_ENDPOINTS ? false : 'ROCKETMQ_ENDPOINTS is not set (npm run rocketmq:start)') },
  () =>
    paymentRaceCases('sqlite', {
      ORDERFLOW_MQ: 'rocketmq',
      ROCKETMQ_ENDPOINTS: process.env.ROCKETMQ_ENDPOINTS ?? '',
      ROCKETMQ_NAMESRV: process.env.ROCKETMQ_NAMESRV ?? '127.0.0.1:9876',
    }),
);

describe('payment races with the message outbox, on SQLite', { skip: unlessDeployment() }, () =>
  paymentRaceCases('sqlite', { ORDERFLOW_ORDER_MESSAGES: 'outbox' }),
);
