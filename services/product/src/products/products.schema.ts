import { Type, type Static } from '@arch/kit';
import { MAX_WORDS, SORTS } from './search.ts';

// No control characters in text: they have no business in a catalogue and break logs and terminals.
const printable = '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$';
/** Money as a decimal string with up to two places: exact, never a float. */
const money = Type.String({ pattern: '^\\d{1,10}(\\.\\d{1,2})?$', maxLength: 13, description: 'decimal string, up to two places, e.g. "1499.99"' });
const category = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,63}$', description: 'category slug, e.g. electronics (case-insensitive)' });

export const Product = Type.Object(
  {
    id: Type.Integer({ format: 'int64', minimum: 1 }),
    name: Type.String(),
    description: Type.String(),
    category: Type.String(),
    price: Type.String({ description: 'decimal string with two places, e.g. "1499.99"' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'a product' },
);

const productFields = {
  name: Type.String({ minLength: 1, maxLength: 200, pattern: printable }),
  description: Type.String({ maxLength: 2000, pattern: printable }),
  category,
  price: money,
};

export const ProductCreate = Type.Object(
  { name: productFields.name, description: Type.Optional(productFields.description), category: productFields.category, price: productFields.price },
  { additionalProperties: false, description: 'a new product; the id is assigned by the server' },
);

export const ProductUpdate = Type.Object(
  {
    id: Type.Optional(Type.Integer({ minimum: 1, description: 'may be sent back as read; must equal the path id' })),
    name: Type.Optional(productFields.name),
    description: Type.Optional(productFields.description),
    category: Type.Optional(productFields.category),
    price: Type.Optional(productFields.price),
    createdAt: Type.Optional(Type.String({ description: 'ignored: may be sent back as read' })),
    updatedAt: Type.Optional(Type.String({ description: 'ignored: may be sent back as read' })),
  },
  { additionalProperties: false, minProperties: 1, description: 'the fields to replace' },
);

export const ProductParams = Type.Object({
  id: Type.String({ format: 'int64', description: 'positive int64' }),
});

export const SearchQuerystring = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: `words that must all match (up to ${MAX_WORDS}); the last also as a prefix` })),
    category: Type.Optional(category),
    minPrice: Type.Optional(money),
    maxPrice: Type.Optional(money),
    sort: Type.Enum([...SORTS], { default: 'relevance' }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 10_000, default: 0 }),
  },
  { additionalProperties: false },
);

export const SearchResult = Type.Object({
  items: Type.Array(Product),
  total: Type.Integer({ description: 'matches, exact up to the cap' }),
  totalCapped: Type.Boolean({ description: 'true when there are more matches than total says (total is the cap)' }),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const ErrorResponse = Type.Object({ code: Type.Integer({ format: 'int32' }), message: Type.String() }, { description: 'Error' });

export type Product = Static<typeof Product>;
export type SearchQuerystring = Static<typeof SearchQuerystring>;
