import { z } from 'zod';
import { ThirdPartyError, ThirdPartyErrorCode } from './errors.js';
import { CALLBACK_KNOB_NAMES, type Knobs, type ThirdPartyName } from './types.js';

export const MAX_LATENCY_MS = 60_000;

/** Defaults per simulator: the payment provider answers faster than the SMS vendor and the logistics company. */
export const DEFAULT_KNOBS: Readonly<Record<ThirdPartyName, Readonly<Knobs>>> = Object.freeze({
  sms: Object.freeze({ latencyMs: 100, jitterMs: 0, failureRate: 0, down: false }),
  logistics: Object.freeze({ latencyMs: 100, jitterMs: 0, failureRate: 0, down: false }),
  payment: Object.freeze({
    latencyMs: 50,
    jitterMs: 0,
    failureRate: 0,
    down: false,
    callbackDelayMs: 0,
    callbackReorderMs: 0,
    callbackDuplicateRate: 0,
    callbackDropRate: 0,
  }),
});

const millis = (field: string) =>
  z
    .number({ error: `${field} must be a number of milliseconds` })
    .int({ error: `${field} must be an integer number of milliseconds` })
    .min(0, { error: `${field} must be between 0 and ${MAX_LATENCY_MS}` })
    .max(MAX_LATENCY_MS, { error: `${field} must be between 0 and ${MAX_LATENCY_MS}` });

const rate = (field: string) =>
  z
    .number({ error: `${field} must be a number` })
    .min(0, { error: `${field} must be between 0 and 1` })
    .max(1, { error: `${field} must be between 0 and 1` });

/**
 * Any subset of the knobs, as accepted by `PUT /admin/third-parties/:name` and `setKnobs`.
 * Unknown keys are refused, so a typo ("latency") is a 400 rather than a silent no-op.
 *
 * @example
 * const parsed = knobsPatchSchema.safeParse(request.body);
 * if (!parsed.success) reply.code(400).send(...);
 */
export const knobsPatchSchema = z.strictObject({
  latencyMs: millis('latencyMs').optional(),
  jitterMs: millis('jitterMs').optional(),
  failureRate: rate('failureRate').optional(),
  down: z.boolean({ error: 'down must be true or false' }).optional(),
  callbackDelayMs: millis('callbackDelayMs').optional(),
  callbackReorderMs: millis('callbackReorderMs').optional(),
  callbackDuplicateRate: rate('callbackDuplicateRate').optional(),
  callbackDropRate: rate('callbackDropRate').optional(),
});
export type KnobsPatch = z.infer<typeof knobsPatchSchema>;

/**
 * Validates a knobs patch, throwing THIRD_PARTY_INVALID_KNOB naming the first bad field
 * (`error.field`), so the admin route can answer `{error:{code, message, details:{field}}}`.
 */
export function parseKnobsPatch(patch: unknown, vendor: { callsBack: boolean } = { callsBack: true }): KnobsPatch {
  const parsed = knobsPatchSchema.safeParse(patch);
  if (parsed.success) {
    const callbackKnob = vendor.callsBack ? undefined : CALLBACK_KNOB_NAMES.find((name) => parsed.data[name] !== undefined);
    if (callbackKnob) {
      throw new ThirdPartyError(
        ThirdPartyErrorCode.INVALID_KNOB,
        callbackKnob,
        `knob '${callbackKnob}' is the payment provider's: only it calls the shop back`,
      );
    }
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const field = issue.keys[0];
    throw new ThirdPartyError(
      ThirdPartyErrorCode.INVALID_KNOB,
      field,
      `unknown knob '${field}': expected latencyMs, jitterMs, failureRate, down or (the payment provider) ${CALLBACK_KNOB_NAMES.join(', ')}`,
    );
  }
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'knobs';
  const value = issue.path.length === 1 && isRecord(patch) ? patch[String(issue.path[0])] : patch;
  const message = field === 'knobs' ? 'knobs must be an object with latencyMs, jitterMs, failureRate or down' : issue.message;
  throw new ThirdPartyError(ThirdPartyErrorCode.INVALID_KNOB, field, `${message} (got ${JSON.stringify(value)})`, { value });
}

/** Drops keys whose value is undefined, so `{latencyMs: undefined}` does not erase a knob. */
export function applyKnobsPatch(knobs: Knobs, patch: KnobsPatch): Knobs {
  const next = { ...knobs };
  for (const [key, value] of Object.entries(patch) as [keyof Knobs, never][]) {
    if (value !== undefined) next[key] = value;
  }
  return next;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
