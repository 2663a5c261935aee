import { Type, badRequest, forbidden, notFound, type App, type CacheAside, type CacheResult } from '@arch/kit';
import type { FastifyRequest } from 'fastify';
import type { Authorize } from '../auth/authorizer.ts';
import type { ProductsRepository } from './products.repository.ts';
import type { ProductRow, ProductRowUpdate } from './products.table.ts';
import { ErrorResponse, Product, ProductCreate, ProductParams, ProductUpdate, SearchQuerystring, SearchResult } from './products.schema.ts';
import { normalizeSearch, searchKey } from './search.ts';

export interface ProductsRoutesOptions {
  products: ProductsRepository;
  cache: CacheAside;
  authorize: Authorize;
  /** Matches are counted exactly up to this many. */
  countCap: number;
}

const SEARCH_NAMESPACE = 'search';
const xCache: Record<CacheResult, string> = { hit: 'HIT', miss: 'MISS', error: 'BYPASS', bypass: 'BYPASS' };
const readErrors = { 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };
const writeErrors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse };

/** GET /products/search, GET /products/{id}; POST, PUT, DELETE /products… for admins. */
export async function productsRoutes(app: App, { products, cache, authorize, countCap }: ProductsRoutesOptions): Promise<void> {
  const adminOnly = async (request: FastifyRequest) => {
    const caller = await authorize(request);
    if (caller.role !== 'admin') throw forbidden('only an admin may change products');
  };

  app.get(
    '/products/search',
    {
      schema: {
        summary: 'Search products: every word must match, the last also as a prefix',
        tags: ['products'],
        querystring: SearchQuerystring,
        response: { 200: SearchResult, ...readErrors },
      },
    },
    async (request, reply) => {
      const search = normalizeSearch(request.query);
      const { value, result } = await cache.get(SEARCH_NAMESPACE, searchKey(search), async () => {
        const page = await products.search(search, countCap);
        return { items: page.items.map(toProduct), total: page.total, totalCapped: page.totalCapped };
      });
      reply.header('x-cache', xCache[result]);
      return { ...value, limit: search.limit, offset: search.offset };
    },
  );

  app.get(
    '/products/:id',
    { schema: { summary: 'Read a product', tags: ['products'], params: ProductParams, response: { 200: Product, ...readErrors } } },
    async (request) => {
      const row = await products.findById(parseId(request.params.id));
      if (!row) throw notFound(`product ${request.params.id} not found`);
      return toProduct(row);
    },
  );

  app.post(
    '/products',
    {
      onRequest: adminOnly,
      schema: { summary: 'Create a product (admin)', tags: ['products'], body: ProductCreate, response: { 201: Product, ...writeErrors } },
    },
    async (request, reply) => {
      const { name, description = '', category, price } = request.body;
      const row = await products.create({ name, description, category: category.toLowerCase(), price });
      await cache.invalidate(SEARCH_NAMESPACE);
      const prefix = forwardedPrefix(request.headers['x-forwarded-prefix']);
      return reply.code(201).header('location', `${prefix}/products/${row.id}`).send(toProduct(row));
    },
  );

  app.put(
    '/products/:id',
    {
      onRequest: adminOnly,
      schema: {
        summary: 'Update a product (admin): the given fields are replaced',
        tags: ['products'],
        params: ProductParams,
        body: ProductUpdate,
        response: { 200: Product, ...writeErrors },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { id: bodyId, name, description, category, price } = request.body;
      if (bodyId !== undefined && String(bodyId) !== id) throw badRequest(`body.id ${bodyId} does not match the path id ${id}`);
      const patch: ProductRowUpdate = {};
      if (name !== undefined) patch.name = name;
      if (description !== undefined) patch.description = description;
      if (category !== undefined) patch.category = category.toLowerCase();
      if (price !== undefined) patch.price = price;
      if (Object.keys(patch).length === 0) throw badRequest('body must change at least one of name, description, category, price');
      const row = await products.update(parseId(id), patch);
      if (!row) throw notFound(`product ${id} not found`);
      await cache.invalidate(SEARCH_NAMESPACE);
      return toProduct(row);
    },
  );

  app.delete(
    '/products/:id',
    {
      onRequest: adminOnly,
      schema: { summary: 'Delete a product (admin)', tags: ['products'], params: ProductParams, response: { 204: Type.Null(), ...writeErrors } },
    },
    async (request, reply) => {
      if (!(await products.delete(parseId(request.params.id)))) throw notFound(`product ${request.params.id} not found`);
      await cache.invalidate(SEARCH_NAMESPACE);
      return reply.code(204).send(null);
    },
  );
}

/** Ids come from a sequence and never pass 2^53; a larger valid int64 simply names no product. */
function parseId(id: string): number {
  const parsed = Number(id);
  return Number.isSafeInteger(parsed) ? parsed : 0;
}

function forwardedPrefix(header: string | string[] | undefined): string {
  return typeof header === 'string' && /^(\/[\w.-]+)+$/.test(header) ? header : '';
}

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    price: row.price,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
