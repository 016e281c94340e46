import { describe } from 'node:test';
import { stockGateCases } from './gate.cases.js';
import { InProcessGate } from './in-process-gate.js';

/**
 * The in-process gate keeps nothing beyond its process: a restart (or a wipe) is a new gate, which
 * `open` rebuilds from the sale's tickets, its durable record in the flash-sale database.
 */
describe('in-process stock gate', () =>
  stockGateCases('in-process gate', {
    fresh: async () => new InProcessGate(),
    restart: async (gate) => {
      await gate.close();
      return new InProcessGate();
    },
    wipe: async (gate) => {
      await gate.close();
      return new InProcessGate();
    },
  }));
