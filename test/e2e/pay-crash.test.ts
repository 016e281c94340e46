import { test } from 'node:test';
import { payCrashThenCheckBack } from '../support/pay-crash.js';

// The RocketMQ case is test/rocketmq/pay-crash.test.ts (it runs where the broker does).
test(
  'a pay killed (SIGKILL) between its local commit and the end of its transactional send, on the embedded broker and MariaDB: the check-back in the next process commits order_paid, delivered once to every group',
  { skip: process.env.MYSQL_URL ? false : 'MYSQL_URL is not set (the moment of the kill is made with a MariaDB row lock)' },
  () => payCrashThenCheckBack({ engine: 'embedded', mysqlUrl: process.env.MYSQL_URL as string }),
);
