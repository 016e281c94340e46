import fs from 'node:fs';
import path from 'node:path';
import { signToken } from '../../src/http/index.js';
import { ADMIN_TOKEN, type TestApp } from './app.js';
import type { Callers, Route } from './hostile-requests.js';

/** Every route of the server's OpenAPI document, with the token it takes (bearerAuth: a user's, adminToken: the admin's). */
export async function documentedRoutes(url: string): Promise<Route[]> {
  const doc = (await (await fetch(`${url}/docs/json`)).json()) as {
    paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
  };
  const routes: Route[] = [];
  for (const [routePath, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const schemes = (operation.security ?? []).flatMap((s) => Object.keys(s));
      routes.push({
        method: method.toUpperCase(),
        path: routePath,
        auth: schemes.includes('adminToken') ? 'admin' : schemes.includes('bearerAuth') ? 'user' : 'none',
      });
    }
  }
  return routes;
}

/**
 * The callers an attacker can be: two demo users, the admin, and forged tokens — one expired (signed with the right
 * secret, as a stolen old token is), one whose payload was changed to another user's while keeping its signature.
 */
export async function callersOf(t: TestApp): Promise<Callers> {
  const user1 = await t.token('user1');
  const user2 = await t.token('user2');
  // The secret signs the expired token only (a stolen old one); the demo keeps it in the data dir.
  const secret = t.app.config.tokenSecret ?? fs.readFileSync(path.join(t.app.config.dataDir, 'token-secret'), 'utf8').trim();
  const [, signature] = user1.split('.');
  const [payloadOf2] = user2.split('.');
  return {
    user1,
    user2,
    admin: ADMIN_TOKEN,
    expired: signToken('user1', secret, -60),
    tampered: `${payloadOf2}.${signature}`,
  };
}
