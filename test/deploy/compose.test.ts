/**
 * deploy/compose.yaml cannot run here (no containers), so it is held to the code instead: every orderflow service's
 * settings go through orderflow's own configuration check (loadConfig, loadVendorsConfig), every variable it sets is
 * one orderflow reads, every system runs in some service (twice, as in the cluster), the topics job creates every
 * topic with the type the order system expects, and the load balancer's backends are services of the file.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { FLAG_TO_VARIABLE, loadConfig, loadVendorsConfig, SYSTEMS, VENDORS_FLAG_TO_VARIABLE } from '../../src/config.js';
import { Groups, Topics, topicTypesFor } from '../../src/systems/shared/topics.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const deploy = path.join(root, 'deploy');

interface Service {
  build?: unknown;
  image?: string;
  command?: string | string[];
  environment?: Record<string, string | number | boolean>;
  deploy?: { replicas?: number };
  depends_on?: Record<string, unknown> | string[];
  healthcheck?: unknown;
}
const compose = parse(fs.readFileSync(path.join(deploy, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const orderflowServices = Object.entries(services).filter(([, service]) => service.build !== undefined);

/** What `docker compose` makes of `${VAR:?message}` and `${VAR:-default}`, with the secrets an operator would give. */
const given: Record<string, string> = {
  MYSQL_ROOT_PASSWORD: 'root-password',
  ORDERFLOW_TOKEN_SECRET: 'a'.repeat(64),
  ORDERFLOW_ADMIN_TOKEN: 'b'.repeat(32),
  ORDERFLOW_SEED_PASSWORD: 'c'.repeat(16),
  ORDERFLOW_PAYMENT_CALLBACK_SECRET: 'd'.repeat(64),
};
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    if (given[name] !== undefined) return given[name];
    if (kind === '-') return rest ?? '';
    throw new Error(`compose.yaml uses \${${name}} that the test does not give`);
  });
}
const environmentOf = (service: Service): Record<string, string> =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([name, value]) => [name, interpolate(String(value))]));
const commandOf = (service: Service) =>
  Array.isArray(service.command) ? service.command : service.command ? service.command.split(' ') : ['start'];
const replicasOf = (service: Service) => service.deploy?.replicas ?? 1;

/** Which system consumes as which group (every group of src/systems/shared/topics.ts must be listed). */
const groupOwners: Record<string, (typeof SYSTEMS)[number]> = {
  [Groups.PUSH]: 'push',
  [Groups.WAREHOUSE]: 'warehouse',
  [Groups.POINTS]: 'points',
  [Groups.POINTS_REFUND]: 'points',
  [Groups.COUPONS]: 'coupons',
  [Groups.COUPONS_REFUND]: 'coupons',
  [Groups.ANALYTICS]: 'analytics',
  [Groups.ORDER_CLOSER]: 'order',
  [Groups.REFUND_WORKER]: 'order',
  [Groups.PAYMENT_RECONCILER]: 'order',
  [Groups.FLASH_SALE_CREATOR]: 'flash-sale',
};

test("every orderflow service's settings pass orderflow's own configuration check", () => {
  assert.ok(orderflowServices.length >= 7, 'the vendors, the order system and the downstream systems are services of the file');
  for (const [name, service] of orderflowServices) {
    const env = environmentOf(service);
    assert.doesNotThrow(() => (commandOf(service)[0] === 'vendors' ? loadVendorsConfig(env) : loadConfig(env)), `service ${name}`);
  }
});

test('every variable a service sets is one orderflow reads (a misspelt one would be ignored silently)', () => {
  const known = new Set([
    ...Object.values(FLAG_TO_VARIABLE),
    ...Object.values(VENDORS_FLAG_TO_VARIABLE),
    'ORDERFLOW_TOKEN_SECRET',
    'ORDERFLOW_SEED_PASSWORD',
    'ORDERFLOW_PAYMENT_CALLBACK_SECRET',
    'ORDERFLOW_PAYMENT_CALLBACK_URL',
    'ORDERFLOW_SMS_API_KEY',
    'ORDERFLOW_LOGISTICS_API_KEY',
    'ORDERFLOW_PAYMENT_API_KEY',
  ]);
  for (const [name, service] of orderflowServices) {
    for (const variable of Object.keys(service.environment ?? {}))
      assert.ok(known.has(variable), `service ${name} sets ${variable}, which orderflow does not read`);
  }
});

test('every system runs in the file, at least twice; every process of the deployment shares one secret, one admin token, one database, one broker', () => {
  const instances = new Map<string, number>();
  const shared = new Set<string>();
  const vendors = orderflowServices.find(([, service]) => commandOf(service)[0] === 'vendors');
  const signedWith = vendors && loadVendorsConfig(environmentOf(vendors[1])).paymentCallbackSecret;
  assert.ok(signedWith, 'the vendors sign the payment callbacks with a secret of the deployment');
  for (const [name, service] of orderflowServices) {
    if (commandOf(service)[0] === 'vendors') continue;
    const config = loadConfig(environmentOf(service));
    assert.equal(config.paymentCallbackSecret, signedWith, `service ${name} checks the callbacks with the secret they are signed with`);
    if (config.systems.includes('order'))
      assert.match(config.paymentCallbackUrl ?? '', /^http:\/\/lb:8080\//, `service ${name}: the provider calls back through the balancer`);
    for (const system of config.systems) instances.set(system, (instances.get(system) ?? 0) + replicasOf(service));
    shared.add(
      JSON.stringify([
        config.tokenSecret,
        config.adminToken,
        config.db,
        config.rocketmqEndpoints,
        config.redisUrl,
        config.orderMessages,
        config.vendors?.urls,
      ]),
    );
    assert.equal(config.mq, 'rocketmq');
    assert.ok(config.redisUrl, 'the flash-sale gate and every process share Redis');
  }
  for (const system of SYSTEMS)
    assert.ok((instances.get(system) ?? 0) >= 2, `system ${system} runs in ${instances.get(system) ?? 0} instance(s)`);
  assert.equal(shared.size, 1, 'one set of shared settings (x-orderflow-settings) for every process');
  // Every consumer group is consumed by a system that runs: a group without one would be a backlog nobody drains.
  for (const group of Object.values(Groups))
    assert.ok((instances.get(groupOwners[group]) ?? 0) >= 2, `consumer group ${group} (system ${groupOwners[group]})`);
});

test('the topics job creates every topic with the type the order system sends it as, and the FIFO groups of order_changelog', () => {
  const job = services['rocketmq-topics'];
  assert.ok(job, 'a rocketmq-topics service');
  const script = commandOf(job).join(' ');
  const orderMessages = loadConfig(environmentOf(services['order-1'])).orderMessages;
  for (const [topic, type] of Object.entries(topicTypesFor(orderMessages)))
    assert.match(script, new RegExp(`\\b${topic}:${type}\\b`), `topic ${topic} as ${type}`);
  assert.equal(
    (script.match(/\b\w+:(NORMAL|FIFO|DELAY|TRANSACTION)\b/g) ?? []).length,
    Object.keys(Topics).length,
    'no topic orderflow does not use',
  );
  for (const group of [Groups.ANALYTICS, Groups.POINTS_REFUND, Groups.COUPONS_REFUND])
    assert.match(script, new RegExp(`\\b${group}\\b`), `FIFO group ${group}`);
});

test("the load balancer's backends are the order-system services and the analytics service; the warehouse reports through it", () => {
  const haproxy = fs.readFileSync(path.join(deploy, 'haproxy.cfg'), 'utf8');
  const orderServices = orderflowServices
    .filter(([, service]) => loadConfigOrUndefined(service)?.systems.includes('order'))
    .map(([name]) => name);
  assert.ok(orderServices.length >= 2, 'two order-system services');
  for (const name of orderServices) assert.match(haproxy, new RegExp(`server ${name} ${name}:3000 check`), `backend ${name}`);
  assert.match(haproxy, /server-template analytics- \d+ analytics:3000 check/);
  assert.match(haproxy, /option httpchk GET \/api\/health/);
  assert.ok(services.lb, 'an lb service');
  assert.equal(environmentOf(services.warehouse).ORDERFLOW_ORDER_URL, 'http://lb:8080');
});

test('the Dockerfile is multi-stage, runs as a non-root user, ships the built dist/ and checks its health', () => {
  const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^COPY --from=build \/app\/dist \.\/dist$/m);
  assert.match(dockerfile, /^HEALTHCHECK .*\n.*\/api\/health/m);
  for (const [name, service] of orderflowServices) {
    assert.ok(commandOf(service)[0] !== 'vendors' || service.healthcheck, `service ${name} (vendors: its own port) has a health check`);
  }
});

function loadConfigOrUndefined(service: Service) {
  return commandOf(service)[0] === 'vendors' ? undefined : loadConfig(environmentOf(service));
}
