import { Ajv, type ErrorObject } from 'ajv';
import ajvFormats from 'ajv-formats';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

/**
 * E.164-like: a plus, a non-zero country digit, 7 to 15 digits in all. Single spaces, dots or dashes
 * between digits and one bracketed area code are tolerated, as people write them: +7 (495) 123-45-67.
 */
export function isPhone(value: string): boolean {
  if (value.length > 32 || !/^\+[1-9][\d .\-()]*\d$/.test(value)) return false;
  if (/[ .\-]{2,}/.test(value)) return false;
  if (!/^[^()]*(\(\d{1,5}\)[^()]*)?$/.test(value)) return false;
  const digits = value.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15;
}
const MAX_INT64 = 9_223_372_036_854_775_807n;


/** A positive int64 written as decimal digits (path parameters stay strings so no precision is lost). */
export function isPositiveInt64(value: string): boolean {
  return /^[1-9]\d{0,18}$/.test(value) && BigInt(value) <= MAX_INT64;
}

function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false, // unknown fields are refused, never silently dropped
    allErrors: false,
    strict: false,
  });
  ajvFormats.default(ajv);
  ajv.addFormat('phone', { type: 'string', validate: isPhone });
  ajv.addFormat('int64', { type: 'string', validate: isPositiveInt64 });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  return ajv;
}

/**
 * Validator compiler for Fastify: query strings, params and headers are text and get coerced
 * ("20" → 20); bodies are JSON and must carry the declared types as they are.
 */
export function createValidatorCompiler() {
  const strict = createAjv(false);
  const coercing = createAjv(true);
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema);
}

/** One sentence naming the field and what is wrong with it, e.g. `body.email must be an email address`. */
export function describeValidationError(errors: ErrorObject[] | FastifySchemaValidationError[], dataVar: string): string {
  const error = errors[0] as ErrorObject | undefined;
  if (!error) return `${dataVar} is invalid`;
  const path = error.instancePath.split('/').filter(Boolean).join('.');
  const field = path ? `${dataVar}.${path}` : dataVar;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${dataVar}${path ? `.${path}` : ''}.${String(params.missingProperty)} is required`;
    case 'additionalProperties':
      return `${field} has an unknown field '${String(params.additionalProperty)}'`;
    case 'format':
      return `${field} must be ${formatNames[String(params.format)] ?? `in ${String(params.format)} format`}`;
    case 'maxLength':
      return `${field} must be at most ${String(params.limit)} characters`;
    case 'minLength':
      return Number(params.limit) === 1 ? `${field} must not be empty` : `${field} must be at least ${String(params.limit)} characters`;
    case 'enum':
      return `${field} must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'type':
      return `${field} must be of type ${String(params.type)}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}

const formatNames: Record<string, string> = {
  email: 'an email address',
  phone: 'a phone number in international format, e.g. +15551234567',
  int64: 'a positive 64-bit integer',
  uri: 'a URI',
  'date-time': 'an RFC 3339 date-time',
  uuid: 'a UUID',
};

/**
 * The form a username is compared in: case-folded and NFC-normalised, so "Alice", "ALICE" and an
 * NFD-composed "Alice" are one name. Stored beside the name as its unique key.
 */
export function usernameKey(username: string): string {
  return username.normalize('NFC').toLowerCase().normalize('NFC');
}
