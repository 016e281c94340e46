/** `npm run bench -- <scenario> [--flag value …]`: runs one benchmark program. */
import { runCloseExpiredBench } from './close-expired/index.js';
import { runCoreFlowBench } from './core-flow/index.js';
import { runFlashSaleBench } from './flash-sale/index.js';
import { runMqBench } from './mq/index.js';

const scenarios: Record<string, (args: Map<string, string | true>) => Promise<void>> = {
  mq: runMqBench,
  'core-flow': runCoreFlowBench,
  'flash-sale': runFlashSaleBench,
  'close-expired': runCloseExpiredBench,
};

const [scenario, ...rest] = process.argv.slice(2);
const args = new Map<string, string | true>();
for (let i = 0; i < rest.length; i++) {
  const flag = rest[i];
  if (!flag.startsWith('--')) continue;
  const next = rest[i + 1];
  if (next !== undefined && !next.startsWith('--')) {
    args.set(flag.slice(2), next);
    i++;
  } else args.set(flag.slice(2), true);
}
const run = scenario ? scenarios[scenario] : undefined;
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(scenarios).join('|')}> [--messages N] [--no-peers]`);
  process.exit(2);
}
await run(args);
// A benchmark that found a broken invariant has set exitCode 1 (after printing its figures): keep it.
process.exit(process.exitCode ?? 0);
