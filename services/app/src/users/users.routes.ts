import type { FastifyRequest } from 'fastify';
import { Type, conflict, forbidden, isUniqueViolation, notFound, badRequest, usernameKey, type App, type Identity } from '@arch/kit';
import type { UsersRepository } from './users.repository.ts';
import type { NewUserRow, UserRow, UserRowUpdate } from './users.table.ts';
import { UserCreate, UserParams, UserUpdate, type User } from './users.schema.ts';

export interface UsersRoutesOptions {
  users: UsersRepository;
  /**
   * With auth on: the kit's authenticator (onRequest). Every route then needs a valid token, a
   * profile's id is its owner's user id, and only the owner may read, change or delete it.
   */
  authenticate?: (request: FastifyRequest) => Promise<void>;
}

/** The contract's Error (the kit's shared `Error` schema) for each status an operation can answer with. */
const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, { $ref: 'Error#' }]));
const user = { $ref: 'User#' };

/** The otus55 users contract: POST /user, GET/PUT/DELETE /user/{userId}, with its operationIds (answers refer to the shared `User` and `Error`). */
export async function usersRoutes(app: App, { users, authenticate }: UsersRoutesOptions): Promise<void> {
  // Identity comes from the verified token only; X-User-* headers are never read.
  const protect = authenticate ? { onRequest: authenticate } : {};
  const ownerOnly = {
    preValidation: keepPathId,
    ...(authenticate
      ? {
          onRequest: authenticate,
          preHandler: async (request: FastifyRequest<{ Params: { userId: number } }>) => {
            if (request.identity?.userId !== pathId(request)) throw forbidden(`user ${pathId(request)} is not yours`);
          },
        }
      : {}),
  };
  // with auth on: a bearer token, refused (401) or not the owner's (403)
  const secured = authenticate ? { security: [{ bearerAuth: [] }] } : {};
  const denied = authenticate ? [401, 403] : [];
  // with auth on, PUT creates the owner's missing profile (201), so it never answers 404
  const putResponses: Record<number, object> = authenticate
    ? { 200: user, 201: user, ...errors(400, ...denied, 409, 413, 415, 503) }
    : { 200: user, ...errors(400, 404, 409, 413, 415, 503) };
  const location = (request: FastifyRequest, id: number) => `${forwardedPrefix(request.headers['x-forwarded-prefix'])}/user/${id}`;

  app.post(
    '/user',
    {
      ...protect,
      schema: {
        operationId: 'createUser',
        summary: authenticate ? "Create the caller's own profile (id = the token's user id)" : 'Create a user',
        tags: ['users'],
        ...secured,
        body: UserCreate,
        response: { 201: user, ...errors(400, ...denied, 409, 413, 415, 503) },
      },
    },
    async (request, reply) => {
      const { id, ...fields } = request.body;
      const owner = request.identity ? ownerId(request.identity) : undefined;
      if (owner !== undefined && id !== undefined && id !== owner) throw forbidden(`user ${id} is not yours: your profile's id is ${owner}`);
      const wanted = owner ?? id;
      if (wanted !== undefined && (await users.findById(wanted))) throw conflict(owner !== undefined ? `user ${owner} already has a profile` : `user ${wanted} already exists`);
      // with auth on, the profile carries the account's name; it defaults to it
      if (fields.username !== undefined) assertOwnName(request.identity, fields.username);
      const username = fields.username ?? request.identity?.username;
      const row = await createOrConflict(() => users.create(toNewRow({ ...fields, ...(username !== undefined ? { username } : {}) }), wanted), username, wanted);
      return reply.code(201).header('location', location(request, row.id)).send(toUser(row));
    },
  );

  app.get(
    '/user/:userId',
    {
      ...ownerOnly,
      schema: { operationId: 'find user by id', summary: 'Read a user', tags: ['users'], ...secured, params: UserParams, response: { 200: user, ...errors(400, ...denied, 404, 503) } },
    },
    async (request) => {
      const row = await users.findById(parseId(request.params.userId));
      if (!row) throw notFound(`user ${pathId(request)} not found`);
      return toUser(row);
    },
  );

  app.put(
    '/user/:userId',
    {
      ...ownerOnly,
      schema: {
        operationId: 'updateUser',
        summary: authenticate
          ? "Update the caller's own profile (the given fields are replaced), or create it (201)"
          : 'Update a user: the given fields are replaced',
        tags: ['users'],
        ...secured,
        params: UserParams,
        body: UserUpdate,
        response: putResponses,
      },
    },
    async (request, reply) => {
      const { userId } = request.params;
      const { id, ...fields } = request.body;
      if (id !== undefined && id !== userId) throw badRequest(`body.id ${id} does not match the path id ${pathId(request)}`);
      if (fields.username !== undefined) assertOwnName(request.identity, fields.username);
      const patch = toPatch(fields);
      const row = await createOrConflict(() => users.update(parseId(userId), patch), fields.username);
      if (row) return toUser(row);
      if (!request.identity) throw notFound(`user ${pathId(request)} not found`);
      // The owner's profile does not exist yet: PUT creates it, named after the account unless told.
      const owner = ownerId(request.identity);
      const username = fields.username ?? request.identity.username;
      const created = await createOrConflict(() => users.create(toNewRow({ ...fields, username }), owner), username, owner);
      return reply.code(201).header('location', location(request, created.id)).send(toUser(created));
    },
  );

  app.delete(
    '/user/:userId',
    {
      ...ownerOnly,
      schema: { operationId: 'deleteUser', summary: 'Delete a user', tags: ['users'], ...secured, params: UserParams, response: { 204: Type.Null(), ...errors(400, ...denied, 404, 503) } },
    },
    async (request, reply) => {
      if (!(await users.delete(parseId(request.params.userId)))) throw notFound(`user ${pathId(request)} not found`);
      return reply.code(204).send(null);
    },
  );
}

/** The path's userId as the client wrote it: validation makes it a number, which loses digits past 2^53. */
const pathIds = new WeakMap<FastifyRequest, string>();

async function keepPathId(request: FastifyRequest): Promise<void> {
  pathIds.set(request, String((request.params as { userId?: unknown }).userId));
}

/** The path's id in canonical form (`007` is `7`), every digit kept. */
function pathId(request: FastifyRequest<{ Params: { userId: number } }>): string {
  const raw = pathIds.get(request);
  return raw !== undefined && /^\d{1,19}$/.test(raw) ? BigInt(raw).toString() : String(request.params.userId);
}

/** Ids come from a sequence and never pass 2^53; a larger valid int64 simply names no user. */
function parseId(userId: number): number {
  return Number.isSafeInteger(userId) ? userId : 0;
}

/** A write that a unique key may refuse: 409 naming the id or the username taken. */
async function createOrConflict<T>(write: () => Promise<T>, username: string | undefined, id?: number): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) {
      if (id !== undefined && err.constraint === 'users_pkey') throw conflict(`user ${id} already exists`);
      throw conflict(`username ${JSON.stringify(username)} is already taken`);
    }
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

function toNewRow(user: Omit<UserCreate, 'id'>): NewUserRow {
  return {
    username: user.username ?? null,
    email: user.email ?? null,
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
    ...(row.username !== null ? { username: row.username } : {}),
    ...(row.first_name !== null ? { firstName: row.first_name } : {}),
    ...(row.last_name !== null ? { lastName: row.last_name } : {}),
    ...(row.email !== null ? { email: row.email } : {}),
    ...(row.phone !== null ? { phone: row.phone } : {}),
  };
}
