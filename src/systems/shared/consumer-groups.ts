import { Groups } from './topics.js';

/**
 * The consumer groups each system consumes as, when its process consumes (ORDERFLOW_FLOW=async). A process that runs
 * a system is one of that system's groups' consumers: the process registry lists it under them, and the cluster
 * counts their backlog as its role's. The order system's closer consumes only with ORDERFLOW_CLOSE=delay, its payments
 * reconciler unless ORDERFLOW_RECONCILE_EVERY=off.
 */
export const CONSUMER_GROUPS_OF_SYSTEM: Readonly<Record<string, readonly string[]>> = {
  order: [Groups.ORDER_CLOSER, Groups.REFUND_WORKER, Groups.PAYMENT_RECONCILER],
  'flash-sale': [Groups.FLASH_SALE_CREATOR],
  push: [Groups.PUSH],
  warehouse: [Groups.WAREHOUSE],
  points: [Groups.POINTS, Groups.POINTS_REFUND],
  coupons: [Groups.COUPONS, Groups.COUPONS_REFUND],
  analytics: [Groups.ANALYTICS],
};

/** The groups a process running `systems` consumes as. */
export function consumerGroupsOf(
  systems: readonly string[],
  options: { consumes: boolean; close: 'delay' | 'scan'; reconcile?: boolean },
): string[] {
  if (!options.consumes) return [];
  return systems
    .flatMap((system) => CONSUMER_GROUPS_OF_SYSTEM[system] ?? [])
    .filter((group) => group !== Groups.ORDER_CLOSER || options.close === 'delay')
    .filter((group) => group !== Groups.PAYMENT_RECONCILER || options.reconcile !== false);
}
