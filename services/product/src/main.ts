import { runService } from '@arch/kit';
import { buildApp, migrations, productConfigSchema } from './app.ts';
import { createProductsRepository } from './products/products.repository.ts';
import { seedProducts } from './seed/seeder.ts';

await runService({
  name: 'product',
  schema: productConfigSchema,
  migrations,
  async build({ config, database }) {
    const app = await buildApp({ config, database });
    // Local stack: PGlite lets one process open a data folder, so demo data is seeded here, once.
    if (config.SEED_IF_EMPTY > 0 && (await createProductsRepository(database.db).isEmpty())) {
      app.log.info(`seeding ${config.SEED_IF_EMPTY} demo products`);
      const result = await seedProducts(database.db, { count: config.SEED_IF_EMPTY });
      app.log.info(`seeded ${result.inserted} products in ${(result.elapsedMs / 1000).toFixed(1)} s`);
    }
    return app;
  },
});
