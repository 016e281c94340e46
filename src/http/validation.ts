/**
 * Validation with zod, and zod → JSON Schema for the OpenAPI document only. Requests are never
 * validated by Fastify's ajv: one validator means one set of messages, and they are ours.
 */
import { z, type ZodType } from 'zod';
import { validationFailed, type AppError, type FieldIssue } from '../errors.js';

/** True for a zod error from any zod 4 flavour (classic or mini share the core class). */
export function isZodError(error: unknown): error is z.core.$ZodError {
  return error instanceof z.core.$ZodError;
}

/** One issue per bad field, with a dotted path (`items.0.quantity`) optionally prefixed by where it was (`body`). */
export function fieldIssues(error: z.core.$ZodError, where?: string): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [...(where === undefined ? [] : [where]), ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

export function zodToAppError(error: z.core.$ZodError, where?: string): AppError {
  return validationFailed(fieldIssues(error, where), where === undefined ? 'request is not valid' : `${where} is not valid`);
}

/**
 * Parses `value` or throws a 400 VALIDATION_FAILED listing each bad field.
 * @example const { items } = parse(PlaceOrderBody, request.body);
 */
export function parse<T>(schema: ZodType<T>, value: unknown, where?: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw zodToAppError(result.error, where);
}

/**
 * JSON Schema of a zod schema for documentation. `io: 'input'` for requests (a field with a default
 * is optional to the caller), `'output'` for responses. Unrepresentable parts (transforms) become `{}`
 * rather than failing start-up: the document is a guide, zod is the judge.
 */
export function toDocSchema(schema: ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return json;
}
