import { randomUUID } from 'node:crypto';
import { badRequest, conflict, isUniqueViolation, Type, unauthorized, type App, type TokenVerifier } from '@arch/kit';
import type { AccountsRepository } from './accounts.repository.ts';
import { Account, ErrorResponse, LoginAnswer, LoginBody, RegisterBody } from './accounts.schema.ts';
import type { LoginLimits } from './login-limits.ts';
import { passwordClasses, type PasswordHasher } from './passwords.ts';
import type { RevocationList } from '../tokens/revocation.ts';
import { bearerChallenge } from '../tokens/tokens.routes.ts';

export interface AccountsRoutesOptions {
  accounts: AccountsRepository;
  hasher: PasswordHasher;
  limits: LoginLimits;
  verifier: TokenVerifier;
  revocations: RevocationList;
  tokenTtlSeconds: number;
}

// One message for an unknown user and a wrong password: the answer must not tell which.
const BAD_CREDENTIALS = 'username or password is incorrect';
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** POST /register, /login, /logout. */
export async function accountsRoutes(app: App, options: AccountsRoutesOptions): Promise<void> {
  const { accounts, hasher, limits, verifier, revocations } = options;

  app.post(
    '/register',
    {
      schema: {
        summary: 'Create an account',
        tags: ['accounts'],
        body: RegisterBody,
        response: { 201: Account, 400: ErrorResponse, 409: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { username, password, email, firstName, lastName, phone } = request.body;
      if (passwordClasses(password) < 2) {
        throw badRequest('body.password must mix at least two kinds of characters: lowercase, uppercase, digits, symbols');
      }
      const taken = await accounts.takenFields(username, email);
      if (taken.username) throw conflict(`username ${JSON.stringify(username)} is already taken`);
      if (taken.email) throw conflict('email is already registered');
      const passwordHash = await hasher.hash(password);
      try {
        const row = await accounts.create({
          username,
          email,
          first_name: firstName ?? null,
          last_name: lastName ?? null,
          phone: phone ?? null,
          password_hash: passwordHash,
        });
        return reply.code(201).send({ id: row.id, username: row.username, email: row.email });
      } catch (err) {
        // Registered by someone else between the check and the insert.
        if (isUniqueViolation(err)) throw conflict('username or email is already taken');
        throw err;
      }
    },
  );

  app.post(
    '/login',
    {
      schema: {
        summary: 'Exchange a username and password for an access token',
        tags: ['accounts'],
        body: LoginBody,
        response: { 200: LoginAnswer, 400: ErrorResponse, 401: ErrorResponse, 429: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      // The attempt is counted before the password is hashed: parallel guesses cannot outrun the limit.
      const attempt = await limits.reserve(request, username);
      let account: Awaited<ReturnType<AccountsRepository['findByUsername']>>;
      let ok: boolean;
      try {
        // Registration allows no control characters in a name, and Postgres text cannot hold NUL.
        account = CONTROL_CHARACTERS.test(username) ? undefined : await accounts.findByUsername(username);
        // An unknown user costs the same KDF work as a known one, so timing tells nothing either.
        ok = account ? await hasher.verify(password, account.password_hash) : await hasher.verifyNothing(password);
      } catch (err) {
        // No password was checked (the database is away): the attempt must not lock the user out.
        await attempt.giveBack().catch(() => undefined);
        throw err;
      }
      if (!account || !ok) {
        request.log.info({ reason: 'bad credentials' }, 'login refused');
        throw unauthorized(BAD_CREDENTIALS);
      }
      await attempt.giveBack();
      const accessToken = app.jwt.sign({ sub: String(account.id), name: account.username, role: account.role, jti: randomUUID() });
      reply.header('cache-control', 'no-store');
      return { accessToken, tokenType: 'Bearer' as const, expiresIn: options.tokenTtlSeconds, userId: account.id };
    },
  );

  app.post(
    '/logout',
    {
      schema: {
        summary: 'Revoke the bearer token: refused everywhere from now until it expires',
        tags: ['accounts'],
        response: { 204: Type.Null(), 401: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request, reply) => {
      const token = await verifier.verifyRequest(request).catch(bearerChallenge);
      await revocations.revoke(token.jti, token.expiresAt);
      return reply.code(204).send(null);
    },
  );
}
