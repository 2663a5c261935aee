import { authConsumerConfigProperties, defaultRevokedKeyPrefix, serviceConfigSchema, Type, type Static } from '@arch/kit';

export const appConfigSchema = serviceConfigSchema({
  ...authConsumerConfigProperties,
  AUTH_ENABLED: Type.Boolean({
    default: false,
    description: 'owner-only access: every /user request must carry a valid token of the profile owner',
  }),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: '^rediss?://',
      description: "the auth service's Redis: with AUTH_ENABLED, a logged-out token is refused here too (unset: the gateway's forward-auth refuses it)",
    }),
  ),
  AUTH_REVOKED_KEY_PREFIX: Type.String({
    default: defaultRevokedKeyPrefix,
    minLength: 1,
    description: "where the auth service keeps revoked token ids in Redis (its REDIS_KEY_PREFIX + 'revoked:')",
  }),
});

export type AppConfig = Static<typeof appConfigSchema>;
