import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { ConfigError, DEMO_PASSWORD } from '../../config.js';
import { unauthorized } from '../../errors.js';
import type { OrderContext } from './context.js';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${(await scrypt(password, salt, 32)).toString('hex')}`;
}

async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const actual = await scrypt(password, Buffer.from(salt, 'hex'), 32);
  const expected = Buffer.from(hash, 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Hashed in place of a password when the user does not exist (any salt does: the result is thrown away). */
const NO_USER_SALT = Buffer.alloc(16);

/**
 * Checks a user's password; the same 401 for an unknown user and a wrong password — in the same time too: an unknown
 * user's attempt costs the same scrypt, so how long a login takes does not tell which user ids exist.
 */
export async function authenticate(ctx: OrderContext, userId: string, password: string): Promise<void> {
  const user = await ctx.database.db.selectFrom('users').select('password_hash').where('user_id', '=', userId).executeTakeFirst();
  if (!user) {
    await scrypt(password, NO_USER_SALT, 32);
    throw unauthorized('unknown user or wrong password');
  }
  if (!(await verifyPassword(password, user.password_hash))) throw unauthorized('unknown user or wrong password');
}

/**
 * Outside the demo, orderflow does not start on a database holding the demo users: user1 … with the password printed
 * in the README would let anyone in. The seed always makes user1 first, so one hash checked tells.
 */
export async function refuseDemoUsers(ctx: OrderContext): Promise<void> {
  const user = await ctx.database.db.selectFrom('users').select('password_hash').where('user_id', '=', 'user1').executeTakeFirst();
  if (user && (await verifyPassword(DEMO_PASSWORD, user.password_hash))) {
    throw new ConfigError(
      'ORDERFLOW_DB',
      `its order database holds the demo users (user1 has the password '${DEMO_PASSWORD}'), seeded by a demo start: outside the demo use another database, or start the demo with \`orderflow start --demo\``,
    );
  }
}
