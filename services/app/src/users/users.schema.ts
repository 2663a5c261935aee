import { Type, type Static } from '@arch/kit';

// No control characters in names: they have no business in a profile and break logs and terminals.
const printable = '^[^\\u0000-\\u001f\\u007f]+$';
const username = Type.String({ minLength: 1, maxLength: 256, pattern: printable, description: "unique regardless of case and Unicode normalisation (NFC); with authentication on, the caller's account name" });
const personName = Type.String({ maxLength: 256, pattern: printable });
const email = Type.String({ format: 'email', maxLength: 320 });
const phone = Type.String({ format: 'phone', maxLength: 32, description: 'international format, e.g. +15551234567' });

export const User = Type.Object(
  {
    id: Type.Integer({ format: 'int64', minimum: 1 }),
    username,
    firstName: Type.Optional(personName),
    lastName: Type.Optional(personName),
    email,
    phone: Type.Optional(phone),
  },
  { description: 'otus55 User' },
);

export const UserCreate = Type.Object(
  {
    username,
    firstName: Type.Optional(personName),
    lastName: Type.Optional(personName),
    email,
    phone: Type.Optional(phone),
  },
  { additionalProperties: false, description: 'a new user; the id is assigned by the server' },
);

export const UserUpdate = Type.Object(
  {
    id: Type.Optional(Type.Integer({ minimum: 1, description: 'may be sent back as read; must equal the path id' })),
    username: Type.Optional(username),
    firstName: Type.Optional(personName),
    lastName: Type.Optional(personName),
    email: Type.Optional(email),
    phone: Type.Optional(phone),
  },
  { additionalProperties: false, minProperties: 1, description: 'the fields to replace' },
);

export const UserParams = Type.Object({
  userId: Type.String({ format: 'int64', description: 'positive int64' }),
});

export const ErrorResponse = Type.Object({ code: Type.Integer({ format: 'int32' }), message: Type.String() }, { description: 'otus55 Error' });

export type User = Static<typeof User>;
export type UserCreate = Static<typeof UserCreate>;
export type UserUpdate = Static<typeof UserUpdate>;
