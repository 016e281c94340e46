/**
 * `orderflow vendors`: the SMS vendor, logistics company and payment provider simulators as a process
 * of their own, so that every orderflow process of a deployment calls the same vendors and one admin
 * API turns their knobs. The orderflow processes point at it with ORDERFLOW_SMS_URL, …, and
 * ORDERFLOW_VENDORS_URL (their admin routes forward to this one).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { thirdPartyRoutes } from './admin/third-party-routes.js';
import { vendorLedgerRoute } from './admin/vendor-ledger-route.js';
import { ConfigError, type VendorsConfig } from './config.js';
import { createHttpServer, routePlugin } from './http/index.js';
import { createLogger } from './logger.js';
import { sameThreadHandle, startThirdParties, urlHost, type ThirdParties, type ThirdPartyName } from './third-parties/index.js';

export interface VendorsApp {
  /** The admin API (ORDERFLOW_VENDORS_URL of the orderflow processes). */
  adminUrl: string;
  /** Each vendor's base URL (ORDERFLOW_SMS_URL, ORDERFLOW_LOGISTICS_URL, ORDERFLOW_PAYMENT_URL). */
  urls: Readonly<Record<ThirdPartyName, string>>;
  logger: Logger;
  close(): Promise<void>;
}

/** The vendors take the port after the admin API's, in this order. */
const PORT_OFFSET: Record<ThirdPartyName, number> = { sms: 1, logistics: 2, payment: 3 };

export async function startVendorsApp(config: Readonly<VendorsConfig>, overrides: { logger?: Logger } = {}): Promise<VendorsApp> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  let simulators: ThirdParties | undefined;
  let http: FastifyInstance | undefined;
  const close = async () => {
    await http?.close();
    await simulators?.close();
  };
  try {
    const ports = Object.fromEntries(
      (Object.keys(PORT_OFFSET) as ThirdPartyName[]).map((name) => [name, config.port === 0 ? 0 : config.port + PORT_OFFSET[name]]),
    ) as Record<ThirdPartyName, number>;
    const started = await listening(
      () =>
        startThirdParties({
          ports,
          host: config.host,
          apiKeys: config.apiKeys,
          paymentCallback: { secret: config.paymentCallbackSecret },
          logger: logger.child({ component: 'vendors' }),
        }),
      config.port,
    );
    simulators = started;
    const handle = sameThreadHandle(started);
    const server = await createHttpServer({
      logger,
      adminToken: config.adminToken,
      // No user routes here; the admin guard only needs some secret to tell a user token from garbage.
      tokenSecret: randomBytes(32).toString('hex'),
      routes: [routePlugin([...thirdPartyRoutes(() => handle), vendorLedgerRoute(started.ledger)])],
      health: async () => ({ ok: true, details: { vendors: started.urls } }),
    });
    http = server;
    await listening(() => server.listen({ port: config.port, host: config.host }), config.port);
    const adminPort = (server.server.address() as AddressInfo).port;
    return { adminUrl: `http://${urlHost(config.host)}:${adminPort}`, urls: started.urls, logger, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A port already taken is a setting to change, said in one line naming it. */
async function listening<T>(start: () => Promise<T>, port: number): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new ConfigError(
        'ORDERFLOW_VENDORS_PORT',
        `${port} to ${port + 3} must be free for the admin API and the three vendors: ${(error as Error).message}`,
      );
    }
    throw error;
  }
}
