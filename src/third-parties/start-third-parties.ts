import { randomUUID } from 'node:crypto';
import { ThirdPartyError, ThirdPartyErrorCode } from './errors.js';
import { applyKnobsPatch, DEFAULT_KNOBS, parseKnobsPatch } from './knobs.js';
import { logisticsCompany } from './logistics-company.js';
import { paymentProvider } from './payment-provider.js';
import { startSimulator, type Simulator, type VendorSpec } from './simulator.js';
import { smsVendor } from './sms-vendor.js';
import { VendorLedger } from './vendor-ledger.js';
import {
  isThirdPartyName,
  silentLogger,
  THIRD_PARTY_NAMES,
  type Knobs,
  type ThirdPartyLogger,
  type ThirdPartyName,
  type ThirdPartyStats,
} from './types.js';

export interface ThirdPartiesOptions {
  /** Port per simulator; 0 or absent = a free port chosen by the OS. */
  ports?: Partial<Record<ThirdPartyName, number>>;
  /** Interface every simulator listens on (default 127.0.0.1). */
  host?: string;
  /** Per simulator: when set, its endpoints require `Authorization: Bearer <key>`. */
  apiKeys?: Partial<Record<ThirdPartyName, string>>;
  /** Starting knobs per simulator, over DEFAULT_KNOBS; validated like setKnobs. */
  knobs?: Partial<Record<ThirdPartyName, Partial<Knobs>>>;
  logger?: ThirdPartyLogger;
  /** Source of jitter and failure dice (default Math.random); a test may pass a fixed one. */
  random?: () => number;
  /**
   * The payment provider's callbacks: signed with this secret (ORDERFLOW_PAYMENT_CALLBACK_SECRET; default a random one
   * nobody shares). How they are delivered (delay, copies, order, losses) is in its knobs.
   */
  paymentCallback?: { secret?: string };
}

/** What building a vendor gets: the start options and the ledger the three vendors share. */
interface VendorInputs {
  options: ThirdPartiesOptions;
  ledger: VendorLedger;
}

export interface ThirdParties {
  /** Base URL per simulator, e.g. `{ payment: 'http://127.0.0.1:41234', … }`. */
  readonly urls: Readonly<Record<ThirdPartyName, string>>;
  /** Throws THIRD_PARTY_NOT_FOUND for a name that is not a simulator (the admin route passes user input). */
  getKnobs(name: ThirdPartyName): Knobs;
  /** Applies any subset of the knobs at once; throws THIRD_PARTY_INVALID_KNOB naming the bad field. */
  setKnobs(name: ThirdPartyName, patch: Partial<Knobs>): Knobs;
  stats(name: ThirdPartyName): ThirdPartyStats;
  /** Every effect the three vendors carried out, by order (vendor-ledger.ts). */
  readonly ledger: VendorLedger;
  close(): Promise<void>;
}

const VENDORS: Record<ThirdPartyName, (inputs: VendorInputs) => VendorSpec> = {
  sms: ({ ledger }) => smsVendor(ledger),
  logistics: ({ ledger }) => logisticsCompany(ledger),
  payment: ({ options, ledger }) =>
    paymentProvider({
      callbackSecret: options.paymentCallback?.secret ?? randomUUID(),
      ledger,
    }),
};

/**
 * Starts the SMS vendor, the logistics company and the payment provider, each on its own loopback
 * port with live knobs. Everything that calls them goes over real HTTP (see createVendorClient).
 *
 * @example
 * const thirdParties = await startThirdParties({ knobs: { sms: { latencyMs: 300, jitterMs: 200 } } });
 * const sms = createVendorClient({ name: 'sms', baseUrl: thirdParties.urls.sms, timeoutMs: 1000 });
 * thirdParties.setKnobs('logistics', { down: true }); // an outage, live
 * await thirdParties.close();
 */
export async function startThirdParties(options: ThirdPartiesOptions = {}): Promise<ThirdParties> {
  const logger = options.logger ?? silentLogger;
  const random = options.random ?? Math.random;
  // Validate everything before opening a port, so a bad option leaves nothing running.
  const plans = THIRD_PARTY_NAMES.map((name) => ({
    name,
    port: checkPort(name, options.ports?.[name] ?? 0),
    knobs: applyKnobsPatch(DEFAULT_KNOBS[name], parseNamedPatch(name, options.knobs?.[name] ?? {})),
  }));

  const started = new Map<ThirdPartyName, Simulator>();
  const ledger = new VendorLedger();
  try {
    for (const plan of plans) {
      started.set(
        plan.name,
        await startSimulator(VENDORS[plan.name]({ options, ledger }), {
          port: plan.port,
          host: options.host,
          apiKey: options.apiKeys?.[plan.name],
          knobs: plan.knobs,
          random,
          logger,
        }),
      );
    }
  } catch (error) {
    await Promise.all([...started.values()].map((simulator) => simulator.close()));
    throw error;
  }

  const simulator = (name: ThirdPartyName): Simulator => {
    const found = isThirdPartyName(name) ? started.get(name) : undefined;
    if (!found) {
      throw new ThirdPartyError(
        ThirdPartyErrorCode.NOT_FOUND,
        'name',
        `no third party '${String(name)}': expected ${THIRD_PARTY_NAMES.join(', ')}`,
      );
    }
    return found;
  };
  const urls = Object.freeze(Object.fromEntries(plans.map(({ name }) => [name, simulator(name).url])) as Record<ThirdPartyName, string>);
  logger.info({ urls }, 'third-party simulators started');

  let closed: Promise<void> | undefined;
  return {
    urls,
    getKnobs: (name) => simulator(name).getKnobs(),
    setKnobs: (name, patch) => simulator(name).setKnobs(patch),
    stats: (name) => simulator(name).stats(),
    ledger,
    close() {
      closed ??= Promise.all([...started.values()].map((s) => s.close())).then(() => undefined);
      return closed;
    },
  };
}

function checkPort(name: ThirdPartyName, port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ThirdPartyError(
      ThirdPartyErrorCode.INVALID_OPTION,
      `ports.${name}`,
      `ports.${name} must be an integer 0..65535 (got ${JSON.stringify(port)})`,
    );
  }
  return port;
}

/** Prefixes the field with the simulator's name, so a bad start option reads `knobs.sms.failureRate`. */
function parseNamedPatch(name: ThirdPartyName, patch: unknown) {
  try {
    return parseKnobsPatch(patch, { callsBack: name === 'payment' });
  } catch (error) {
    if (error instanceof ThirdPartyError) {
      const field = `knobs.${name}.${error.field}`;
      throw new ThirdPartyError(error.code, field, `knobs.${name}: ${error.message}`, { value: error.details.value });
    }
    throw error;
  }
}
