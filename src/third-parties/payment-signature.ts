import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header a payment provider's callback carries: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. */
export const PAYMENT_SIGNATURE_HEADER = 'orderflow-signature';

/** How far a callback's timestamp may be from our clock before it is refused as stale (a replay) or from the future. */
export const PAYMENT_SIGNATURE_TOLERANCE_S = 300;

/** Signs a callback body as the provider does: the timestamp is part of what is signed, so it cannot be swapped. */
export function signPaymentCallback(secret: string, rawBody: string, unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${rawBody}`).digest('hex')}`;
}

export type SignatureVerdict = { ok: true; timestamp: number } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' };

/**
 * Checks a callback's signature header against the raw body, in constant time, and its timestamp against
 * the tolerance window. Several `v1=` entries are accepted (a provider rotating its secret sends one per secret).
 */
export function verifyPaymentCallback(
  secret: string,
  rawBody: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceS = PAYMENT_SIGNATURE_TOLERANCE_S,
): SignatureVerdict {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  if (header.length > 1_000) return { ok: false, reason: 'malformed' };
  let t: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (rest.length > 0 || value === undefined) return { ok: false, reason: 'malformed' };
    if (key === 't' && /^\d{1,12}$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (t === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const matches = signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected));
  if (!matches) return { ok: false, reason: 'mismatch' };
  // Checked after the signature: an attacker learns nothing about the window from a forged header.
  if (Math.abs(nowSeconds - t) > toleranceS) return { ok: false, reason: 'stale' };
  return { ok: true, timestamp: t };
}
