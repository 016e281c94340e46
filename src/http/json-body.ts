/**
 * The API speaks JSON only: any other request body type is 415. An empty body sent with
 * `content-type: application/json` (common for `POST /orders/:id/cancel` from fetch) is treated as
 * no body instead of a 400; route schemas then decide whether a body was required.
 */
import type { FastifyInstance } from 'fastify';

export function installJsonOnly(app: FastifyInstance): void {
  // Fastify's own parser keeps its prototype-poisoning protection (`__proto__`/`constructor` refused).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    // The callback form: it answers through done and returns nothing to wait for.
    void parseJson(request, text, done);
  });
}
