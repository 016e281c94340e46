/**
 * Bearer tokens without a dependency: `base64url({"sub","exp"}).base64url(HMAC-SHA256)`. Stateless, so any
 * process of a scaled-out deployment verifies a token issued by another one sharing the secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { forbidden, unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireUser`: the user the bearer token was issued to. */
    userId?: string;
  }
}

export const DEFAULT_TOKEN_TTL_SECONDS = 86_400;

export interface VerifiedToken {
  userId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * @example const token = signToken('user1', secret); // then `Authorization: Bearer ${token}`
 */
export function signToken(userId: string, secret: string, ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS, now = Date.now()): string {
  const payload = Buffer.from(JSON.stringify({ sub: userId, exp: now + ttlSeconds * 1000 })).toString('base64url');
  return `${payload}.${mac(payload, secret)}`;
}

/** Returns the token's user, or throws 401 UNAUTHORIZED when the token is malformed, tampered with or expired. */
export function verifyToken(token: string, secret: string, now = Date.now()): VerifiedToken {
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined || !sameMac(signature, mac(payload, secret))) {
    throw unauthorized('invalid token');
  }
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw unauthorized('invalid token');
  }
  const { sub, exp } = (claims ?? {}) as { sub?: unknown; exp?: unknown };
  if (typeof sub !== 'string' || sub === '' || typeof exp !== 'number') throw unauthorized('invalid token');
  if (exp <= now) throw unauthorized('token expired');
  return { userId: sub, expiresAt: exp };
}

/** Tokens verified recently, per requireUser: a client sends the same token with every request. */
export const VERIFIED_TOKEN_CACHE_SIZE = 10_000;

/**
 * preHandler for user routes: sets `request.userId`; 401 without a valid token. A token verified
 * once is remembered (until it expires, the most recent 10,000): checking its signature costs three
 * HMACs, a noticeable part of a payment's CPU on the pay path. Only the exact string that passed is remembered.
 */
export function requireUser(tokenSecret: string): preHandlerAsyncHookHandler {
  const verified = new Map<string, VerifiedToken>();
  return async function requireUserHandler(request) {
    const token = bearerOf(request);
    if (token === undefined) throw unauthorized();
    let known = verified.get(token);
    if (known === undefined || known.expiresAt <= Date.now()) {
      verified.delete(token);
      known = verifyToken(token, tokenSecret);
      if (verified.size >= VERIFIED_TOKEN_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
      verified.set(token, known);
    }
    request.userId = known.userId;
  };
}

/**
 * preHandler for admin routes: only `Bearer <adminToken>` passes. A valid user token is a known
 * caller without the right (403); anything else is an unknown caller (401).
 */
export function requireAdmin(adminToken: string, tokenSecret: string): preHandlerAsyncHookHandler {
  return async function requireAdminHandler(request) {
    const token = bearerOf(request);
    if (token === undefined) throw unauthorized('admin token required');
    if (safeEqual(token, adminToken)) return;
    try {
      verifyToken(token, tokenSecret);
    } catch {
      throw unauthorized('admin token required');
    }
    throw forbidden('admin token required');
  };
}

function bearerOf(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function mac(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

/**
 * Constant-time comparison of a MAC with the expected one: every HMAC-SHA256 in base64url has the same
 * public length, so a different length says nothing secret and the bytes are compared directly.
 */
function sameMac(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time comparison of secrets of any length: hashing first gives equal lengths, so not even the length leaks. */
function safeEqual(a: string, b: string): boolean {
  const digest = (s: string) => createHmac('sha256', 'orderflow-compare').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
