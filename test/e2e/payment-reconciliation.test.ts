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
