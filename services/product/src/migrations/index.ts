import type { Migrations } from '@arch/kit';
import * as createProducts from './0001_create_products.ts';

// Listed here rather than read from the folder, so the same list runs from src/ and from dist/.
export const migrations: Migrations = {
  '0001_create_products': createProducts,
};
