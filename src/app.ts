/**
 * The composition root: config → logger, messaging engine, third parties, databases → systems →
 * HTTP. Nothing else wires; everything started here is closed here, in reverse order.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { adminRoutes } from './admin/admin-routes.js';
import { DEFAULT_HEARTBEAT_MS, openProcessRegistry } from './admin/process-registry.js';
import { processesRoute } from './admin/processes-route.js';
import type { Config, SystemName } from './config.js';
import { CheckpointingThread, openDatabase, pingDatabase, type Database } from './db/index.js';
import { createHttpServer, DASHBOARD_ASSETS_DIR, dependencyHealth, type Probe, routePlugin } from './http/index.js';
import { createMessaging, type Messaging, MqError, MqErrorCode } from './mq/index.js';
import { analyticsRoutes, type AnalyticsSystem } from './systems/analytics/index.js';
import { composeSystems } from './systems/compose.js';
import { flashSaleRoutes, type FlashSaleSystem } from './systems/flash-sale/index.js';
import { orderRoutes, type OrderSystem } from './systems/order/index.js';
import { Topics, topicTypesFor } from './systems/shared/topics.js';
import { consumerGroupsOf } from './systems/shared/consumer-groups.js';
import { type ConsumingSystem, startDownstreamWorker } from './workers/downstream-host.js';
import { openThirdParties, type ThirdPartiesHandle } from './third-parties/index.js';
import { loadOrCreateTokenSecret } from './http/token-secret.js';
import { createLogger } from './logger.js';

/** Vendor calls may take a second (the 1,000 ms scenario) and still succeed; past this they fail and are retried. */
export const VENDOR_TIMEOUT_MS = 5_000;

export interface App {
  config: Readonly<Config>;
  url: string;
  http: FastifyInstance;
  mq: Messaging;
  orders?: OrderSystem;
  flashSales?: FlashSaleSystem;
  analytics?: AnalyticsSystem;
  thirdParties?: ThirdPartiesHandle;
  logger: Logger;
  /** Stops accepting requests, lets those in flight and the messages being handled finish, then closes stores. */
  close(): Promise<void>;
  /** What close() is still waiting for: its current step, and the HTTP connections and requests still open. */
  stillClosing(): { step?: string; http?: { connections: number; requests: number } };
}

/** The order system's admin route for shipments, called by a warehouse in another process. */
function reportShippedOverHttp(orderUrl: string, adminToken: string) {
  return async (orderId: string, trackingNo: string) => {
    const res = await fetch(`${orderUrl}/api/admin/orders/${encodeURIComponent(orderId)}/shipped`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ trackingNo }),
      signal: AbortSignal.timeout(VENDOR_TIMEOUT_MS),
    });
    // Failing throws: the warehouse's listener answers RETRY_LATER and the MQ retries — except for a refusal it
    // understands (the order's error code is kept: INVALID_STATE means there is nothing to ship).
    if (!res.ok) {
      const text = await res.text();
      const code = errorCodeOf(text);
      throw Object.assign(
        new Error(`reporting shipment of ${orderId} to ${orderUrl}: HTTP ${res.status} ${text}`),
        code === undefined ? {} : { code },
      );
    }
    return res.json();
  };
}

/** The `error.code` of an API error body, if it is one. */
function errorCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

/** The one-process default keeps its token secret in the data dir, so sessions survive a restart. */
function tokenSecretFromDataDir(config: Readonly<Config>, logger: Logger): string {
  const { secret, file, created } = loadOrCreateTokenSecret(config.dataDir);
  logger.info({ file }, created ? 'user-token secret generated and kept in the data dir' : 'user-token secret read from the data dir');
  if (config.mq === 'rocketmq') {
    // Replicas of a full process (one load balancer, one RocketMQ) each have their own data dir, hence their own secret.
    logger.warn(
      { file },
      "user tokens are signed with this data dir's secret: other orderflow processes reject them unless all share ORDERFLOW_TOKEN_SECRET",
    );
  }
  return secret;
}

export interface AppOverrides {
  logger?: Logger;
  clock?: () => number;
}

/**
 * The messaging engine, with the topics every system uses. The types follow ORDERFLOW_ORDER_MESSAGES (order_paid and
 * order_refund are NORMAL with the outbox); a deployment that switched has its topics retyped by its order system's
 * processes, the only ones whose setting counts: a process without the order system only makes a missing topic, and
 * takes an existing one as it is (started beside an order system that is retyping, it may see the old type). On
 * RocketMQ a failure here names the settings that point at the broker.
 */
async function openMessaging(config: Readonly<Config>, logger: Logger): Promise<Messaging> {
  let mq: Messaging | undefined;
  try {
    mq = await createMessaging(
      config.mq === 'embedded'
        ? {
            engine: 'embedded',
            dataDir: path.join(config.dataDir, 'mq'),
            retryBackoffScale: config.retryBackoffScale,
            logger: logger.child({ component: 'mq' }),
          }
        : {
            engine: 'rocketmq',
            endpoints: config.rocketmqEndpoints,
            namesrv: config.rocketmqNamesrv,
            retryBackoffScale: config.retryBackoffScale,
            logger: logger.child({ component: 'mq' }),
            namespace: config.mqNamespace,
          },
    );
    const topicTypes = topicTypesFor(config.orderMessages);
    const ownsTypes = config.systems.includes('order');
    for (const topic of Object.values(Topics)) {
      await mq.admin.createTopic({ name: topic, type: topicTypes[topic], retype: ownsTypes }).catch((error: unknown) => {
        if (ownsTypes || !(error instanceof MqError && error.code === MqErrorCode.TOPIC_EXISTS)) throw error;
      });
    }
    return mq;
  } catch (error) {
    await mq?.close().catch(() => {});
    if (config.mq !== 'rocketmq' || (error instanceof MqError && error.code === MqErrorCode.TOPIC_EXISTS)) throw error;
    throw naming(config, error);
  }
}

/** A start-up failure that came from talking to RocketMQ, with the settings that point at it. */
function naming(config: Readonly<Config>, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`RocketMQ at ROCKETMQ_ENDPOINTS=${config.rocketmqEndpoints} / ROCKETMQ_NAMESRV=${config.rocketmqNamesrv}: ${message}`, {
    cause: error,
  });
}

/** True for an error of the RocketMQ engine's clients (they put the proxy's endpoints in its details). */
function fromRocketMQ(config: Readonly<Config>, error: unknown): boolean {
  return (
    config.mq === 'rocketmq' &&
    error instanceof MqError &&
    typeof (error.details as { endpoints?: unknown } | undefined)?.endpoints === 'string'
  );
}

export async function startApp(config: Readonly<Config>, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const clock = overrides.clock ?? Date.now;
  const closers: { name: string; close: () => Promise<unknown> }[] = [];
  const onClose = (name: string, close: () => Promise<unknown>) => void closers.push({ name, close });
  let closingStep: string | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const closer of closers.reverse()) {
        closingStep = closer.name;
        await closer.close().catch((error: Error) => logger.error({ err: error, step: closer.name }, 'shutdown step failed'));
      }
      closingStep = undefined;
    })());
  let httpServer: FastifyInstance | undefined;
  const stillClosing = () => ({ step: closingStep, http: httpServer?.openConnections() });
  try {
    fs.mkdirSync(config.dataDir, { recursive: true });
    const tokenSecret = config.tokenSecret ?? tokenSecretFromDataDir(config, logger);
    const mq = await openMessaging(config, logger);
    onClose('messaging', () => mq.close());

    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const has = (system: Config['systems'][number]) => config.systems.includes(system);
    // The systems' SQLite files share one checkpointing thread (the downstream worker's have their own).
    const checkpointing = new CheckpointingThread();
    const probes: Record<string, Probe> = { mq: () => mq.ping() };
    const open = async <DB>(system: string): Promise<Database<DB>> => {
      const database = await openDatabase<DB>({
        url: config.db,
        dataDir: config.dataDir,
        system,
        logger: logger.child({ db: system }),
        checkpointing,
        pool: config.dbPool,
      });
      onClose(`database ${system}`, () => database.close());
      probes[`db.${system}`] = () => pingDatabase(database);
      return database;
    };

    // The simulators in a worker thread of this process, or the configured vendors (config.vendors).
    // Payment callbacks are signed with this secret; unset, a random one shared with the simulated provider started here.
    const paymentCallbackSecret = config.paymentCallbackSecret ?? randomBytes(32).toString('hex');
    const thirdParties = await openThirdParties({ external: config.vendors, adminToken: config.adminToken, paymentCallbackSecret });
    onClose('third parties', () => thirdParties.close());
    const apiKeys = config.vendors?.apiKeys ?? {};

    // Consuming systems run in a worker thread at a lower CPU priority: the other core, and never the payment path's
    // time. The old design calls the downstream systems inline, so there they stay here and do not consume.
    const consume = config.flow === 'async';
    const inWorker = consume && has('push') && has('warehouse') && has('points') && has('coupons');
    const workerSystems: ConsumingSystem[] = [
      ...(inWorker ? (['push', 'warehouse', 'points', 'coupons'] as const) : []),
      ...(has('analytics') ? (['analytics'] as const) : []),
    ];
    // Here: the coupon system always (the order system locks coupons through it), push, warehouse and points unless
    // the worker runs them (the order view reads them), and the order and flash-sale systems where configured.
    const here: SystemName[] = [
      'coupons',
      ...(has('order') ? (['order'] as const) : []),
      ...(inWorker ? [] : (['points', 'push', 'warehouse'] as const)),
      ...(has('flash-sale') ? (['flash-sale'] as const) : []),
    ];
    const systems = await composeSystems({
      systems: here,
      consumes: (system) => consume && has(system) && !(workerSystems as readonly string[]).includes(system),
      mq,
      messaging: mq,
      open,
      vendors: { urls: thirdParties.urls, apiKeys, timeoutMs: VENDOR_TIMEOUT_MS },
      // The warehouse reports shipments through the order system's public API: in this process, or over HTTP (distributed mode).
      reportShipped: reportShippedOverHttp(config.orderUrl ?? '', config.adminToken),
      clock,
      logger,
      config,
      registry,
      onClose,
    });
    const { orders, flashSales } = systems;
    const downstream =
      workerSystems.length === 0
        ? undefined
        : await startDownstreamWorker({
            mq,
            markShipped: systems.reportShipped,
            logger,
            data: {
              systems: workerSystems,
              db: config.db,
              dbPool: config.dbPool,
              dataDir: config.dataDir,
              logLevel: config.logLevel,
              vendorTimeoutMs: VENDOR_TIMEOUT_MS,
              urls: thirdParties.urls,
              apiKeys: { sms: apiKeys.sms, logistics: apiKeys.logistics },
              rocketmq:
                config.mq === 'rocketmq'
                  ? {
                      endpoints: config.rocketmqEndpoints,
                      namesrv: config.rocketmqNamesrv,
                      namespace: config.mqNamespace,
                      retryBackoffScale: config.retryBackoffScale,
                    }
                  : undefined,
            },
          });
    if (downstream) onClose('downstream worker', () => downstream.close());
    if (downstream) probes.worker = () => downstream.ping();
    if (flashSales?.gateKind === 'redis') probes.redis = () => flashSales.pingGate();
    for (const view of downstream?.views ?? []) orders?.addDownstreamView(view);
    // The change stream's consumer runs in the worker: its own database, fed by order_changelog alone.
    const analytics = downstream?.analytics;

    // Every process of the deployment lists itself in the deployment database (src/admin/process-registry.ts).
    const deploymentDatabase = await openDatabase<unknown>({
      url: config.db,
      dataDir: config.dataDir,
      system: 'deployment',
      logger: logger.child({ db: 'deployment' }),
      checkpointing,
      pool: 2,
    });
    onClose('deployment database', () => deploymentDatabase.close());
    const processes = await openProcessRegistry({ database: deploymentDatabase, clock, logger });

    const http = await createHttpServer({
      logger,
      adminToken: config.adminToken,
      tokenSecret,
      metrics: registry,
      dashboardDir: DASHBOARD_ASSETS_DIR,
      loginLimits: { perUser: config.loginUserRate, perAddress: config.loginAddressRate },
      routes: [
        routePlugin([
          ...(orders ? orderRoutes(orders, { tokenSecret, paymentCallbackSecret }) : []),
          ...(analytics ? analyticsRoutes(analytics) : []),
          ...(flashSales ? flashSaleRoutes(flashSales) : []),
          ...adminRoutes({ mq, thirdParties }),
          processesRoute({ registry: processes, mq, clock, heartbeatMs: DEFAULT_HEARTBEAT_MS }),
        ]),
      ],
      health: dependencyHealth({
        probes,
        info: { systems: config.systems, mq: mq.engine, db: config.db === 'sqlite' ? 'sqlite' : 'mysql', flow: config.flow },
        logger,
      }),
    });
    // Once the requests in flight are answered, every consumer of this thread stops receiving at once, so that closing
    // the systems one after the other does not wait for each consumer's long poll in turn (the worker does the same).
    onClose('consumers: stop receiving', async () => mq.stopReceiving());
    onClose('http', () => http.close()); // closes first: in-flight requests finish, then consumers, then stores
    httpServer = http;
    const address = await http.listen({ port: config.port, host: config.host });
    orders?.setPaymentCallbackUrl(config.paymentCallbackUrl ?? `${address}/api/payments/callback`);
    await processes.register({
      id: `${process.pid}-${randomBytes(8).toString('hex')}`,
      name: `${os.hostname()}:${new URL(address).port}`,
      systems: config.systems,
      groups: consumerGroupsOf(config.systems, { consumes: consume, close: config.close, reconcile: config.reconcile.everyMs > 0 }),
      pid: process.pid,
      host: os.hostname(),
      url: address,
    });
    onClose('process registry', () => processes.close()); // closes first: the process is listed stopped as soon as it stops
    return { config, url: address, http, mq, orders, analytics, flashSales, thirdParties, logger, close, stillClosing };
  } catch (error) {
    await close();
    // A producer or consumer that could not start against the proxy (the admin side is named in openMessaging).
    throw fromRocketMQ(config, error) ? naming(config, error) : error;
  }
}
