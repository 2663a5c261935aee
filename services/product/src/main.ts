import { runService, withJobDatabase } from '@arch/kit';
import { buildApp, migrations, productConfigSchema } from './app.ts';
import { createProductsRepository } from './products/products.repository.ts';
import { seedProducts } from './seed/seeder.ts';

await runService({
  name: 'product',
  schema: productConfigSchema,
  migrations,
  async build({ config, database }) {
    const app = await buildApp({ config, database });
    // Local stack: PGlite lets one process open a data folder, so demo data is seeded here, once,
    // with the seed Job's statement bound rather than a request's.
    if (config.SEED_IF_EMPTY > 0 && (await createProductsRepository(database.db).isEmpty())) {
      await withJobDatabase(database, { config }, async (db) => {
        app.log.info(`seeding ${config.SEED_IF_EMPTY} demo products`);
        const result = await seedProducts(db, { count: config.SEED_IF_EMPTY });
        app.log.info(`seeded ${result.inserted} products in ${(result.elapsedMs / 1000).toFixed(1)} s`);
      });
    }
    return app;
  },
});
