import { Type, type Static } from '@arch/kit';

// No control characters in names: they have no business in a profile and break logs and terminals.
const printable = '^[^\\u0000-\\u001f\\u007f]+$';

export const Username = Type.String({
  minLength: 3,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_.-]+$',
  description: '3 to 64 letters, digits, _ . -; unique regardless of case',
});
const Password = Type.String({
  minLength: 8,
  maxLength: 256,
  description: 'at least 8 characters of at least two kinds (lowercase, uppercase, digits, symbols); never returned',
});
const Email = Type.String({ format: 'email', maxLength: 320, description: 'unique regardless of case' });
const PersonName = Type.String({ maxLength: 256, pattern: printable });
const Phone = Type.String({ format: 'phone', maxLength: 32, description: 'international format, e.g. +15551234567' });

export const RegisterBody = Type.Object(
  {
    username: Username,
    password: Password,
    email: Email,
    firstName: Type.Optional(PersonName),
    lastName: Type.Optional(PersonName),
    phone: Type.Optional(Phone),
  },
  { additionalProperties: false },
);

export const Account = Type.Object({
  id: Type.Integer({ format: 'int64', minimum: 1, description: 'the user id: token subject and profile id' }),
  username: Type.String(),
  email: Type.String(),
});

export const LoginBody = Type.Object(
  {
    // Loose on purpose: every name that is not an account gets the same 401 as a wrong password.
    username: Type.String({ minLength: 1, maxLength: 256 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);

export const LoginAnswer = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'seconds' }),
  userId: Type.Integer({ format: 'int64' }),
});

export const Identity = Type.Object({
  userId: Type.String(),
  username: Type.String(),
  role: Type.String(),
});

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.String() }),
  ),
});

export const ErrorResponse = Type.Object({ code: Type.Integer({ format: 'int32' }), message: Type.String() });

export type RegisterBody = Static<typeof RegisterBody>;
