import type { FastifyRequest } from 'fastify';
import { Type, conflict, forbidden, isUniqueViolation, notFound, badRequest, usernameKey, type App, type Identity } from '@arch/kit';
import type { UsersRepository } from './users.repository.ts';
import type { NewUserRow, UserRow, UserRowUpdate } from './users.table.ts';
import { ErrorResponse, User, UserCreate, UserParams, UserUpdate } from './users.schema.ts';

export interface UsersRoutesOptions {
  users: UsersRepository;
  /**
   * With auth on: the kit's authenticator (onRequest). Every route then needs a valid token, a
   * profile's id is its owner's user id, and only the owner may read, change or delete it.
   */
  authenticate?: (request: FastifyRequest) => Promise<void>;
}

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 503: ErrorResponse };

/** The otus55 users contract: POST /user, GET/PUT/DELETE /user/{userId}. */
export async function usersRoutes(app: App, { users, authenticate }: UsersRoutesOptions): Promise<void> {
  // Identity comes from the verified token only; X-User-* headers are never read.
  const protect = authenticate ? { onRequest: authenticate } : {};
  const ownerOnly = authenticate
    ? {
        onRequest: authenticate,
        preHandler: async (request: FastifyRequest<{ Params: { userId: string } }>) => {
          if (request.identity?.userId !== request.params.userId) throw forbidden(`user ${request.params.userId} is not yours`);
        },
      }
    : {};
  const location = (request: FastifyRequest, id: number) => `${forwardedPrefix(request.headers['x-forwarded-prefix'])}/user/${id}`;

  app.post(
    '/user',
    {
      ...protect,
      schema: {
        summary: authenticate ? "Create the caller's own profile (id = the token's user id)" : 'Create a user',
        tags: ['users'],
        body: UserCreate,
        response: { 201: User, ...errors },
      },
    },
    async (request, reply) => {
      const owner = request.identity ? ownerId(request.identity) : undefined;
      if (owner !== undefined && (await users.findById(owner))) throw conflict(`user ${owner} already has a profile`);
      assertOwnName(request.identity, request.body.username);
      const row = await createOrConflict(
        () => (owner === undefined ? users.create(toNewRow(request.body)) : users.createWithId(owner, toNewRow(request.body))),
        request.body.username,
      );
      return reply.code(201).header('location', location(request, row.id)).send(toUser(row));
    },
  );

  app.get(
    '/user/:userId',
    { ...ownerOnly, schema: { summary: 'Read a user', tags: ['users'], params: UserParams, response: { 200: User, ...errors } } },
    async (request) => {
      const row = await users.findById(parseId(request.params.userId));
      if (!row) throw notFound(`user ${request.params.userId} not found`);
      return toUser(row);
    },
  );

  app.put(
    '/user/:userId',
    {
      ...ownerOnly,
      schema: {
        summary: authenticate
          ? "Update the caller's own profile (the given fields are replaced), or create it (201) with at least username and email"
          : 'Update a user: the given fields are replaced',
        tags: ['users'],
        params: UserParams,
        body: UserUpdate,
        response: { 200: User, 201: User, ...errors },
      },
    },
    async (request, reply) => {
      const { userId } = request.params;
      const { id, ...fields } = request.body;
      if (id !== undefined && String(id) !== userId) throw badRequest(`body.id ${id} does not match the path id ${userId}`);
      if (fields.username !== undefined) assertOwnName(request.identity, fields.username);
      const patch = toPatch(fields);
      const row = await createOrConflict(() => users.update(parseId(userId), patch), fields.username);
      if (row) return toUser(row);
      if (!request.identity) throw notFound(`user ${userId} not found`);
      // The owner's profile does not exist yet: PUT creates it.
      const owner = ownerId(request.identity);
      const { username, email } = fields;
      if (username === undefined) throw badRequest('body.username is required to create the profile');
      if (email === undefined) throw badRequest('body.email is required to create the profile');
      const created = await createOrConflict(() => users.createWithId(owner, toNewRow({ ...fields, username, email })), username);
      return reply.code(201).header('location', location(request, created.id)).send(toUser(created));
    },
  );

  app.delete(
    '/user/:userId',
    { ...ownerOnly, schema: { summary: 'Delete a user', tags: ['users'], params: UserParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      if (!(await users.delete(parseId(request.params.userId)))) throw notFound(`user ${request.params.userId} not found`);
      return reply.code(204).send(null);
    },
  );
}

/** Ids come from a sequence and never pass 2^53; a larger valid int64 simply names no user. */
function parseId(userId: string): number {
  const id = Number(userId);
  return Number.isSafeInteger(id) ? id : 0;
}

async function createOrConflict<T>(write: () => Promise<T>, username: string | undefined): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict(`username ${JSON.stringify(username)} is already taken`);
    throw err;
  }
}

/** With auth on, a profile carries its owner's account name (compared as usernameKey does), so nobody can take another's. */
function assertOwnName(identity: Identity | null, username: string): void {
  if (identity && usernameKey(username) !== usernameKey(identity.username)) {
    throw forbidden(`username must be your account name ${JSON.stringify(identity.username)}`);
  }
}

/** The caller's user id as a profile id; auth's ids come from a sequence and stay below 2^53. */
function ownerId(identity: Identity): number {
  const id = Number(identity.userId);
  if (!Number.isSafeInteger(id)) throw forbidden(`user id ${identity.userId} cannot own a profile here`);
  return id;
}

function forwardedPrefix(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^(\/[\w.-]+)+$/.test(header) ? header : '';
}

function toNewRow(user: UserCreate): NewUserRow {
  return {
    username: user.username,
    email: user.email,
    first_name: user.firstName ?? null,
    last_name: user.lastName ?? null,
    phone: user.phone ?? null,
  };
}

function toPatch(fields: Omit<UserUpdate, 'id'>): UserRowUpdate {
  const patch: UserRowUpdate = {};
  if (fields.username !== undefined) patch.username = fields.username;
  if (fields.firstName !== undefined) patch.first_name = fields.firstName;
  if (fields.lastName !== undefined) patch.last_name = fields.lastName;
  if (fields.email !== undefined) patch.email = fields.email;
  if (fields.phone !== undefined) patch.phone = fields.phone;
  return patch;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    ...(row.first_name !== null ? { firstName: row.first_name } : {}),
    ...(row.last_name !== null ? { lastName: row.last_name } : {}),
    email: row.email,
    ...(row.phone !== null ? { phone: row.phone } : {}),
  };
}
