import { Type, conflict, isUniqueViolation, notFound, badRequest, type App } from '@arch/kit';
import type { UsersRepository } from './users.repository.ts';
import type { NewUserRow, UserRow, UserRowUpdate } from './users.table.ts';
import { ErrorResponse, User, UserCreate, UserParams, UserUpdate } from './users.schema.ts';

export interface UsersRoutesOptions {
  users: UsersRepository;
}

const errors = { 400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 503: ErrorResponse };

/** The otus55 users contract: POST /user, GET/PUT/DELETE /user/{userId}. */
export async function usersRoutes(app: App, { users }: UsersRoutesOptions): Promise<void> {
  app.post(
    '/user',
    {
      schema: {
        summary: 'Create a user',
        tags: ['users'],
        body: UserCreate,
        response: { 201: User, ...errors },
      },
    },
    async (request, reply) => {
      const row = await createOrConflict(() => users.create(toNewRow(request.body)), request.body.username);
      const prefix = forwardedPrefix(request.headers['x-forwarded-prefix']);
      return reply.code(201).header('location', `${prefix}/user/${row.id}`).send(toUser(row));
    },
  );

  app.get(
    '/user/:userId',
    { schema: { summary: 'Read a user', tags: ['users'], params: UserParams, response: { 200: User, ...errors } } },
    async (request) => {
      const row = await users.findById(parseId(request.params.userId));
      if (!row) throw notFound(`user ${request.params.userId} not found`);
      return toUser(row);
    },
  );

  app.put(
    '/user/:userId',
    {
      schema: {
        summary: 'Update a user: the given fields are replaced',
        tags: ['users'],
        params: UserParams,
        body: UserUpdate,
        response: { 200: User, ...errors },
      },
    },
    async (request) => {
      const { userId } = request.params;
      const { id, ...fields } = request.body;
      if (id !== undefined && String(id) !== userId) throw badRequest(`body.id ${id} does not match the path id ${userId}`);
      const patch = toPatch(fields);
      const row = await createOrConflict(() => users.update(parseId(userId), patch), fields.username);
      if (!row) throw notFound(`user ${userId} not found`);
      return toUser(row);
    },
  );

  app.delete(
    '/user/:userId',
    { schema: { summary: 'Delete a user', tags: ['users'], params: UserParams, response: { 204: Type.Null(), ...errors } } },
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
