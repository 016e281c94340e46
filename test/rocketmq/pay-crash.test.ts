import { test } from 'node:test';
import { payCrashThenCheckBack } from '../support/pay-crash.js';

test(
  'a pay killed (SIGKILL) between its local commit and the end of its transactional send, on RocketMQ and MariaDB: the check-back in the next process commits order_paid, delivered once to every group',
  {
    skip:
      process.env.ROCKETMQ_ENDPOINTS && process.env.MYSQL_URL
        ? false
        : 'ROCKETMQ_ENDPOINTS and MYSQL_URL are not both set (npm run rocketmq:start; a MariaDB)',
  },
  () => payCrashThenCheckBack({ engine: 'rocketmq', mysqlUrl: process.env.MYSQL_URL as string }),
);
