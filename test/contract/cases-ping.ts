import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMqError, MqErrorCode } from '../../src/mq/index.js';
import type { ContractContext } from './context.js';

/** ping(), what health checks ask of the engine. */
export function pingCases(ctx: ContractContext): void {
  test('ping: answers while the engine is up, fails with CLOSED once it is closed', async () => {
    assert.equal(await ctx.mq().ping(), undefined);
    const other = await ctx.open();
    await other.ping();
    await other.close();
    await assert.rejects(other.ping(), (error) => isMqError(error, MqErrorCode.CLOSED));
  });
}
