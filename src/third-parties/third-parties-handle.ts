import { ThirdPartyError, ThirdPartyErrorCode } from './errors.js';
import type { ThirdParties } from './start-third-parties.js';
import { isThirdPartyName, THIRD_PARTY_NAMES, type Knobs, type ThirdPartyName, type ThirdPartyStats } from './types.js';

/**
 * The vendors as an orderflow process sees them: where to call them, and their knobs and counters.
 * Asynchronous because the knobs may live in a worker thread of this process or in another process
 * (`orderflow vendors`, reached over HTTP); the admin routes and tests do not care which.
 */
export interface ThirdPartiesHandle {
  /** Base URL per vendor, e.g. `{ payment: 'http://127.0.0.1:3903', … }`. */
  readonly urls: Readonly<Record<ThirdPartyName, string>>;
  /** Where the knobs are served: 'in-process' (simulators started here), the vendors process's URL, or 'none' (real vendors). */
  readonly knobsAt: string;
  /** Throws THIRD_PARTY_NOT_FOUND for a name that is not a vendor (the admin route passes user input). */
  getKnobs(name: ThirdPartyName): Promise<Knobs>;
  /** Validated (a bad value throws THIRD_PARTY_INVALID_KNOB naming the field), then applied where the simulator runs. */
  setKnobs(name: ThirdPartyName, patch: Partial<Knobs>): Promise<Knobs>;
  stats(name: ThirdPartyName): Promise<ThirdPartyStats>;
  /** Stops what this process started (simulators, connections); a vendors process is left running. */
  close(): Promise<void>;
}

/** Narrows a name or throws THIRD_PARTY_NOT_FOUND, the same way in every handle. */
export function knownThirdParty(name: ThirdPartyName): ThirdPartyName {
  if (!isThirdPartyName(name)) {
    throw new ThirdPartyError(
      ThirdPartyErrorCode.NOT_FOUND,
      'name',
      `no third party '${String(name)}': expected ${THIRD_PARTY_NAMES.join(', ')}`,
    );
  }
  return name;
}

/**
 * Vendors configured by URL with no vendors process to turn their knobs (ORDERFLOW_*_URL without
 * ORDERFLOW_VENDORS_URL: real vendors, say). Calls work; knobs and counters are refused with
 * THIRD_PARTY_NO_KNOBS (503) saying why.
 */
export function vendorsWithoutKnobs(urls: Readonly<Record<ThirdPartyName, string>>): ThirdPartiesHandle {
  const refuse = (name: ThirdPartyName): never => {
    knownThirdParty(name);
    throw new ThirdPartyError(
      ThirdPartyErrorCode.NO_KNOBS,
      'name',
      `the vendors are external (ORDERFLOW_${name.toUpperCase()}_URL) and ORDERFLOW_VENDORS_URL is not set: no knobs or counters to show`,
    );
  };
  return {
    urls: Object.freeze({ ...urls }),
    knobsAt: 'none',
    getKnobs: async (name) => refuse(name),
    setKnobs: async (name) => refuse(name),
    stats: async (name) => refuse(name),
    close: async () => {},
  };
}

/** Simulators running on this thread (startThirdParties), behind the same asynchronous handle: `orderflow vendors` serves them so. */
export function sameThreadHandle(parties: ThirdParties): ThirdPartiesHandle {
  return {
    urls: parties.urls,
    knobsAt: 'in-process',
    getKnobs: async (name) => parties.getKnobs(name),
    setKnobs: async (name, patch) => parties.setKnobs(name, patch),
    stats: async (name) => parties.stats(name),
    close: () => parties.close(),
  };
}
