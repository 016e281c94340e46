/**
 * The secrets every process of the cluster shares: the user-token secret (each instance accepts the tokens the
 * others issue), the admin token, the seeded users' password and the payment provider's callback secret. Taken from
 * ORDERFLOW_TOKEN_SECRET / ORDERFLOW_ADMIN_TOKEN / ORDERFLOW_SEED_PASSWORD / ORDERFLOW_PAYMENT_CALLBACK_SECRET when set, else generated once and kept in the cluster's directory
 * (mode 0600), so a restarted cluster keeps its sessions and its users' password.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Secrets } from './plan.js';

export function loadOrCreateSecrets(dir: string, env: Record<string, string | undefined>): Secrets {
  const file = path.join(dir, 'secrets.json');
  let kept: Partial<Secrets> = {};
  try {
    kept = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Secrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`${file} is not readable JSON: remove it to have new secrets generated`);
  }
  const secrets: Secrets = {
    ORDERFLOW_TOKEN_SECRET: kept.ORDERFLOW_TOKEN_SECRET ?? randomBytes(32).toString('hex'),
    ORDERFLOW_ADMIN_TOKEN: kept.ORDERFLOW_ADMIN_TOKEN ?? randomBytes(16).toString('hex'),
    ORDERFLOW_SEED_PASSWORD: kept.ORDERFLOW_SEED_PASSWORD ?? randomBytes(9).toString('base64url'),
    ORDERFLOW_PAYMENT_CALLBACK_SECRET: kept.ORDERFLOW_PAYMENT_CALLBACK_SECRET ?? randomBytes(32).toString('hex'),
  };
  if (Object.keys(secrets).some((name) => kept[name as keyof Secrets] === undefined)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    ORDERFLOW_TOKEN_SECRET: env.ORDERFLOW_TOKEN_SECRET?.trim() || secrets.ORDERFLOW_TOKEN_SECRET,
    ORDERFLOW_ADMIN_TOKEN: env.ORDERFLOW_ADMIN_TOKEN?.trim() || secrets.ORDERFLOW_ADMIN_TOKEN,
    ORDERFLOW_SEED_PASSWORD: env.ORDERFLOW_SEED_PASSWORD?.trim() || secrets.ORDERFLOW_SEED_PASSWORD,
    ORDERFLOW_PAYMENT_CALLBACK_SECRET: env.ORDERFLOW_PAYMENT_CALLBACK_SECRET?.trim() || secrets.ORDERFLOW_PAYMENT_CALLBACK_SECRET,
  };
}
