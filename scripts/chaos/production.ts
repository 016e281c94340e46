import type { CallLog } from './http-client.js';
import { ChaosSetupError } from './load.js';
import type { Random } from './random.js';
import type { Topology } from './topology.js';

export async function productionTopology(_options: { dir: string; users: number; log: CallLog; random: Random }): Promise<Topology> {
  throw new ChaosSetupError('the production topology is not built yet');
}
