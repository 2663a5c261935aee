import { serviceConfigSchema, Type, type Static } from '@arch/kit';

export const appConfigSchema = serviceConfigSchema({
  AUTH_ENABLED: Type.Boolean({
    default: false,
    description: 'owner-only access: every /user request must carry a valid token of the profile owner',
  }),
});

export type AppConfig = Static<typeof appConfigSchema>;
