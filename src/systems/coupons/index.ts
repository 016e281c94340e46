/** The coupon system's public API (its lock/release side is the order system's CouponsForOrders). */
export { createCouponsSystem, REWARD_MIN_TOTAL_CENTS, rewardCouponId, type CouponsDB, type RewardRevocation } from './coupons-system.js';
