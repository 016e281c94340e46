import { z } from 'zod';

/**
 * What a SKU id looks like wherever one is given (placing an order, creating a flash sale): letters, digits and
 * `.`, `_`, `-`, starting with a letter or digit, 64 at most. Refused before any lookup, so that a path, a NUL byte or
 * markup never reaches a database or a log as an id.
 */
export const SKU_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const SkuId = z.string().regex(SKU_ID_PATTERN, 'must be 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit');
