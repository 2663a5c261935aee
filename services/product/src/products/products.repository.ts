import { sql, type Kysely } from 'kysely';
import type { NewProductRow, ProductDatabase, ProductRow, ProductRowUpdate } from './products.table.ts';
import { searchProducts, type NormalizedSearch, type SearchPage } from './search.ts';

export type ProductsRepository = ReturnType<typeof createProductsRepository>;

// numeric leaves the database as text so that no price passes through a float
const productColumns = ['id', 'name', 'description', 'category', sql<string>`price::text`.as('price'), 'created_at', 'updated_at'] as const;

export function createProductsRepository(db: Kysely<ProductDatabase>) {
  return {
    search(search: NormalizedSearch, countCap: number): Promise<SearchPage> {
      return searchProducts(db, search, countCap);
    },

    findById(id: number): Promise<ProductRow | undefined> {
      return db.selectFrom('products').select(productColumns).where('id', '=', id).executeTakeFirst();
    },

    create(product: NewProductRow): Promise<ProductRow> {
      return db.insertInto('products').values(product).returning(productColumns).executeTakeFirstOrThrow();
    },

    update(id: number, patch: ProductRowUpdate): Promise<ProductRow | undefined> {
      return db
        .updateTable('products')
        .set({ ...patch, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .returning(productColumns)
        .executeTakeFirst();
    },

    async delete(id: number): Promise<boolean> {
      const result = await db.deleteFrom('products').where('id', '=', id).executeTakeFirst();
      return result.numDeletedRows > 0n;
    },

    async isEmpty(): Promise<boolean> {
      return (await db.selectFrom('products').select('id').limit(1).executeTakeFirst()) === undefined;
    },
  };
}
