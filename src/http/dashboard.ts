/**
 * Serves the dashboard's static files: `/` is `index.html`, other paths are files of the directory.
 * A plain fs read per request is enough for a handful of small assets and avoids a static-file dependency.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { noRoute } from './error-handler.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * The dashboard's own assets (plain HTML, CSS and ES modules, no build step). tsc copies no assets into
 * dist/, and the package ships src/, so the path points at src/http/dashboard from this module in src/http
 * (tsx, tests) and in dist/http (`npm start`) alike.
 */
export const DASHBOARD_ASSETS_DIR = fileURLToPath(new URL('../../src/http/dashboard/', import.meta.url));

/**
 * The dashboard's content security policy: its own scripts, styles and API only — no inline script or style
 * attribute, no other origin, no plugin, not framed. A script injected through data the API returns (an order
 * id, an error message) could not run, nor send the tokens the page keeps anywhere else.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function installDashboard(app: FastifyInstance, dashboardDir: string): void {
  const root = resolve(dashboardDir);

  const serve = async (request: FastifyRequest, reply: FastifyReply, relative: string) => {
    const file = resolve(root, relative);
    // Refuse anything outside the directory (`..`, absolute paths) and hidden files, as an unknown route.
    const inside = file.startsWith(root + sep) && !relative.split('/').some((part) => part.startsWith('.'));
    if (!inside || !(await isFile(file))) {
      throw noRoute(request);
    }
    const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    return reply
      .type(type)
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(await readFile(file));
  };
  app.get('/', { schema: { hide: true } }, (request, reply) => serve(request, reply, 'index.html'));
  app.get('/*', { schema: { hide: true } }, (request, reply) => serve(request, reply, (request.params as { '*': string })['*']));
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
