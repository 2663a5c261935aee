import { brands, categories, enAdjectives, enFeatures, ruAdjectives, ruFeatures } from './dictionary.ts';

export interface GeneratedProduct {
  seedNo: number;
  name: string;
  description: string;
  category: string;
  /** Decimal string with two places, e.g. "4989.99". */
  price: string;
  /** How long before now it was created, in seconds (up to two years). */
  ageSeconds: number;
}

const TWO_YEARS_SECONDS = 2 * 365 * 24 * 3600;
const MODEL_LETTERS = 'ASXZKMPTLV';

/**
 * Product number `seedNo`, always the same one: a re-run of the seeder makes the same rows, so tests
 * and benchmarks can rely on them. Words are drawn with a skew, as in a real catalogue: some are in
 * several percent of the products and some in a fraction of a percent.
 */
export function generateProduct(seedNo: number): GeneratedProduct {
  const random = mulberry32(Math.imul(seedNo, 0x9e3779b1) ^ 0x5bd1e995);
  const pick = <T>(items: readonly T[], skew = 1): T => items[Math.min(items.length - 1, Math.floor(items.length * random() ** skew))]!;

  const category = pick(categories, 1.3);
  const brand = pick(brands, 1.4);
  const model = `${pick([...MODEL_LETTERS])}${10 + Math.floor(random() * 990)}`;
  const features = random();
  // two different features: the second is the first shifted by 1…n-1 places
  const shift = random();
  let name: string;
  let description: string;
  if (random() < 0.6) {
    const [noun, gender] = pick(category.ru, 1.5);
    const adjective = pick(ruAdjectives, 1.8)[gender];
    const second = pick(ruAdjectives, 1.2)[gender];
    name = `${capitalize(adjective)} ${noun} ${brand} ${model}`;
    description = `${capitalize(second)} ${noun} от бренда ${brand}: ${twoOf(ruFeatures, features, shift)}.`;
  } else {
    const noun = pick(category.en, 1.5);
    name = `${brand} ${pick(enAdjectives, 1.8)} ${noun} ${model}`;
    description = `${capitalize(pick(enAdjectives, 1.2))} ${noun} by ${brand}: ${twoOf(enFeatures, features, shift)}.`;
  }
  return {
    seedNo,
    name,
    description,
    category: category.slug,
    price: priceBetween(category.price[0], category.price[1], random()),
    ageSeconds: Math.floor(random() * TWO_YEARS_SECONDS),
  };
}

/** Log-uniform between min and max, ending in .99 like shop prices; computed in whole cents. */
function priceBetween(min: number, max: number, u: number): string {
  const value = Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min)));
  const step = value < 1000 ? 1 : 10;
  const cents = Math.max(1, Math.round(value / step) * step * 100 - 1);
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

function twoOf(items: readonly string[], u: number, shift: number): string {
  const first = Math.floor(u * items.length);
  const second = (first + 1 + Math.floor(shift * (items.length - 1))) % items.length;
  return `${items[first]}, ${items[second]}`;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A small, fast, seedable PRNG (public domain): enough for test data, not for anything secret. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
