import { Type, type Static } from '@arch/kit';

// No control characters in names: they have no business in a profile and break logs and terminals.
const printable = '^[^\\u0000-\\u001f\\u007f]+$';
const username = Type.String({ minLength: 1, maxLength: 256, pattern: printable, description: "unique regardless of case and Unicode normalisation (NFC); with authentication on, the caller's account name" });
const personName = Type.String({ maxLength: 256, pattern: printable });
const email = Type.String({ format: 'email', maxLength: 320 });
const phone = Type.String({ format: 'phone', maxLength: 32, description: 'international format, e.g. +15551234567' });

// The contract requires no field: a profile read back carries its id and whatever it was given.
export const User = Type.Object(
  {
    id: Type.Integer({ format: 'int64', minimum: 1 }),
    username: Type.Optional(username),
    firstName: Type.Optional(personName),
    lastName: Type.Optional(personName),
    email: Type.Optional(email),
    phone: Type.Optional(phone),
  },
  { $id: 'User', description: 'otus55 User' },
);

export const UserCreate = Type.Object(
  {
    id: Type.Optional(
      Type.Integer({
        format: 'int64',
        minimum: 1,
        description: "the id to create the user with: with authentication on it must be the caller's own user id (the one the server assigns anyway); without, the user gets that id, 409 when it is taken",
      }),
    ),
    username: Type.Optional(username),
    firstName: Type.Optional(personName),
    lastName: Type.Optional(personName),
    email: Type.Optional(email),
    phone: Type.Optional(phone),
  },
  { additionalProperties: false, description: "a new user: every field optional; with authentication on, username defaults to the caller's account name" },
);

export const UserUpdate = Type.Object(
  {
    id: Type.Optional(Type.Integer({ format: 'int64', minimum: 1, description: 'may be sent back as read; must equal the path id' })),
    username: Type.Optional(username),
    firstName: Type.Optional(personName),
    lastName: Type.Optional(personName),
    email: Type.Optional(email),
    phone: Type.Optional(phone),
  },
  { additionalProperties: false, minProperties: 1, description: 'the fields to replace' },
);

export const UserParams = Type.Object({
  userId: Type.Integer({ format: 'int64', minimum: 1, description: 'ID of user' }),
});

export type User = Static<typeof User>;
export type UserCreate = Static<typeof UserCreate>;
export type UserUpdate = Static<typeof UserUpdate>;
