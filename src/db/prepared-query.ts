import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import { directRunnerOf } from './sqlite.js';

/** Stands for a parameter while the query is compiled: a string no caller's value can be. */
const MARK = '\u0000orderflow-parameter:';

type Slot = { name: string } | { constant: unknown };

/**
 * A query built and compiled by Kysely once per dialect, then run with new values. Kysely builds and
 * compiles a query on every call — a dozen immutable node copies and a visit per statement, more CPU
 * than SQLite spends running a small one. The hot paths (paying, placing, shipping an order)
 * run the same few statements thousands of times a second, so they are built once here.
 *
 * `param(name)` marks where a value goes; everything else the builder wrote is kept as compiled.
 * The shape must not depend on the values (use one prepared query per shape, e.g. per set of columns).
 *
 * @example
 * const byId = preparedQuery<OrderDB, { id: string }>((db, param) => db.selectFrom('orders').selectAll().where('order_id', '=', param('id')));
 * const { rows } = await byId(trx, { id: 'O1' });
 */
export function preparedQuery<DB, P extends Record<string, unknown>, R = unknown>(
  build: (db: Kysely<DB>, param: <K extends keyof P & string>(name: K) => P[K]) => Compilable<unknown>,
): (db: Kysely<DB>, params: P) => Promise<QueryResult<R>> {
  // Per dialect adapter: a transaction shares its database's adapter, so it shares the compiled form too.
  const compiled = new WeakMap<object, { sql: string; slots: Slot[]; direct: ReturnType<typeof directRunnerOf> }>();
  return (db, params) => {
    const adapter = db.getExecutor().adapter;
    let query = compiled.get(adapter);
    if (!query) {
      const { sql, parameters } = build(db, (name) => `${MARK}${name}` as never).compile();
      query = {
        sql,
        slots: parameters.map((value) =>
          typeof value === 'string' && value.startsWith(MARK) ? { name: value.slice(MARK.length) } : { constant: value },
        ),
        direct: directRunnerOf(adapter),
      };
      compiled.set(adapter, query);
    }
    const values = query.slots.map((slot) => ('name' in slot ? params[slot.name] : slot.constant));
    // SQLite: run at once when the connection allows it (sqlite.ts, DirectRunner); otherwise, and on MySQL, through Kysely.
    if (query.direct) {
      try {
        const result = query.direct(query.sql, values, db.isTransaction);
        if (result) return Promise.resolve(result as QueryResult<R>);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return db.executeQuery<R>(CompiledQuery.raw(query.sql, values));
  };
}

/** Rows changed by a prepared UPDATE, INSERT or DELETE (0 when the driver did not say). */
export function changedRows(result: QueryResult<unknown>): number {
  return Number(result.numAffectedRows ?? 0n);
}
