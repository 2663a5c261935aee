// The words demo and volume data are made of: Russian and English product names and descriptions
// per category. The benchmark draws its search words from here too, so what it searches exists.

/** Russian grammatical gender of a noun (p: plural-only, like «наушники»), which the adjective follows. */
export type Gender = 'm' | 'f' | 'n' | 'p';

export interface Category {
  slug: string;
  /** Russian nouns with their gender. */
  ru: Array<[noun: string, gender: Gender]>;
  en: string[];
  /** Price range in whole currency units. */
  price: [min: number, max: number];
}

export const categories: Category[] = [
  {
    slug: 'electronics',
    ru: [['смартфон', 'm'], ['ноутбук', 'm'], ['планшет', 'm'], ['наушники', 'p'], ['колонка', 'f'], ['телевизор', 'm'], ['монитор', 'm'], ['фотоаппарат', 'm'], ['зарядка', 'f'], ['роутер', 'm']],
    en: ['smartphone', 'laptop', 'tablet', 'headphones', 'speaker', 'television', 'monitor', 'camera', 'charger', 'router'],
    price: [990, 250_000],
  },
  {
    slug: 'books',
    ru: [['книга', 'f'], ['роман', 'm'], ['энциклопедия', 'f'], ['сборник', 'm'], ['атлас', 'm'], ['учебник', 'm'], ['комикс', 'm'], ['справочник', 'm']],
    en: ['book', 'novel', 'encyclopedia', 'anthology', 'atlas', 'textbook', 'comic', 'handbook'],
    price: [150, 5_000],
  },
  {
    slug: 'home',
    ru: [['лампа', 'f'], ['подушка', 'f'], ['одеяло', 'n'], ['ковёр', 'm'], ['зеркало', 'n'], ['полка', 'f'], ['кресло', 'n'], ['штора', 'f'], ['часы', 'p']],
    en: ['lamp', 'pillow', 'blanket', 'rug', 'mirror', 'shelf', 'armchair', 'curtain', 'clock'],
    price: [300, 60_000],
  },
  {
    slug: 'kitchen',
    ru: [['чайник', 'm'], ['сковорода', 'f'], ['кастрюля', 'f'], ['блендер', 'm'], ['кофеварка', 'f'], ['тостер', 'm'], ['нож', 'm'], ['тарелка', 'f'], ['кружка', 'f']],
    en: ['kettle', 'frying pan', 'saucepan', 'blender', 'coffee maker', 'toaster', 'knife', 'plate', 'mug'],
    price: [200, 40_000],
  },
  {
    slug: 'clothing',
    ru: [['куртка', 'f'], ['футболка', 'f'], ['свитер', 'm'], ['платье', 'n'], ['пальто', 'n'], ['джинсы', 'p'], ['рубашка', 'f'], ['шарф', 'm'], ['шапка', 'f']],
    en: ['jacket', 't-shirt', 'sweater', 'dress', 'coat', 'jeans', 'shirt', 'scarf', 'hat'],
    price: [400, 30_000],
  },
  {
    slug: 'shoes',
    ru: [['кроссовки', 'p'], ['ботинки', 'p'], ['сапоги', 'p'], ['туфли', 'p'], ['кеды', 'p'], ['сандалии', 'p'], ['тапочки', 'p']],
    en: ['sneakers', 'boots', 'high boots', 'shoes', 'trainers', 'sandals', 'slippers'],
    price: [700, 25_000],
  },
  {
    slug: 'sports',
    ru: [['мяч', 'm'], ['велосипед', 'm'], ['гантели', 'p'], ['коврик', 'm'], ['ракетка', 'f'], ['палатка', 'f'], ['рюкзак', 'm'], ['самокат', 'm'], ['лыжи', 'p']],
    en: ['ball', 'bicycle', 'dumbbells', 'yoga mat', 'racket', 'tent', 'backpack', 'scooter', 'skis'],
    price: [300, 120_000],
  },
  {
    slug: 'toys',
    ru: [['конструктор', 'm'], ['кукла', 'f'], ['машинка', 'f'], ['пазл', 'm'], ['робот', 'm'], ['мишка', 'm'], ['игра', 'f'], ['ракета', 'f']],
    en: ['construction set', 'doll', 'toy car', 'puzzle', 'robot', 'teddy bear', 'board game', 'rocket'],
    price: [150, 15_000],
  },
  {
    slug: 'beauty',
    ru: [['крем', 'm'], ['шампунь', 'm'], ['помада', 'f'], ['духи', 'p'], ['фен', 'm'], ['маска', 'f'], ['сыворотка', 'f']],
    en: ['cream', 'shampoo', 'lipstick', 'perfume', 'hair dryer', 'face mask', 'serum'],
    price: [150, 20_000],
  },
  {
    slug: 'garden',
    ru: [['лопата', 'f'], ['шланг', 'm'], ['газонокосилка', 'f'], ['семена', 'p'], ['горшок', 'm'], ['теплица', 'f'], ['секатор', 'm']],
    en: ['shovel', 'garden hose', 'lawn mower', 'seeds', 'flower pot', 'greenhouse', 'pruner'],
    price: [100, 80_000],
  },
  {
    slug: 'tools',
    ru: [['дрель', 'f'], ['отвёртка', 'f'], ['молоток', 'm'], ['пила', 'f'], ['шуруповёрт', 'm'], ['рулетка', 'f'], ['набор', 'm']],
    en: ['drill', 'screwdriver', 'hammer', 'saw', 'cordless driver', 'tape measure', 'tool kit'],
    price: [250, 45_000],
  },
  {
    slug: 'auto',
    ru: [['шина', 'f'], ['аккумулятор', 'm'], ['видеорегистратор', 'm'], ['компрессор', 'm'], ['чехол', 'm'], ['щётка', 'f']],
    en: ['tyre', 'car battery', 'dashcam', 'air compressor', 'seat cover', 'wiper blade'],
    price: [300, 60_000],
  },
  {
    slug: 'office',
    ru: [['ручка', 'f'], ['блокнот', 'm'], ['стол', 'm'], ['стул', 'm'], ['принтер', 'm'], ['калькулятор', 'm'], ['папка', 'f']],
    en: ['pen', 'notebook', 'desk', 'chair', 'printer', 'calculator', 'folder'],
    price: [50, 70_000],
  },
  {
    slug: 'pets',
    ru: [['корм', 'm'], ['ошейник', 'm'], ['лежанка', 'f'], ['игрушка', 'f'], ['переноска', 'f'], ['аквариум', 'm']],
    en: ['pet food', 'collar', 'pet bed', 'chew toy', 'pet carrier', 'aquarium'],
    price: [100, 30_000],
  },
  {
    slug: 'music',
    ru: [['гитара', 'f'], ['синтезатор', 'm'], ['барабан', 'm'], ['скрипка', 'f'], ['микрофон', 'm'], ['укулеле', 'n']],
    en: ['guitar', 'synthesizer', 'drum', 'violin', 'microphone', 'ukulele'],
    price: [900, 150_000],
  },
  {
    slug: 'food',
    ru: [['чай', 'm'], ['кофе', 'm'], ['шоколад', 'm'], ['мёд', 'm'], ['орехи', 'p'], ['варенье', 'n'], ['печенье', 'n']],
    en: ['tea', 'coffee', 'chocolate', 'honey', 'nuts', 'jam', 'cookies'],
    price: [60, 5_000],
  },
];

/** Russian adjectives in their masculine, feminine, neuter and plural forms. */
export const ruAdjectives: Array<Record<Gender, string>> = [
  ['новый', 'новая', 'новое', 'новые'],
  ['красный', 'красная', 'красное', 'красные'],
  ['чёрный', 'чёрная', 'чёрное', 'чёрные'],
  ['белый', 'белая', 'белое', 'белые'],
  ['синий', 'синяя', 'синее', 'синие'],
  ['зелёный', 'зелёная', 'зелёное', 'зелёные'],
  ['серый', 'серая', 'серое', 'серые'],
  ['золотой', 'золотая', 'золотое', 'золотые'],
  ['большой', 'большая', 'большое', 'большие'],
  ['маленький', 'маленькая', 'маленькое', 'маленькие'],
  ['лёгкий', 'лёгкая', 'лёгкое', 'лёгкие'],
  ['компактный', 'компактная', 'компактное', 'компактные'],
  ['беспроводной', 'беспроводная', 'беспроводное', 'беспроводные'],
  ['профессиональный', 'профессиональная', 'профессиональное', 'профессиональные'],
  ['детский', 'детская', 'детское', 'детские'],
  ['классический', 'классическая', 'классическое', 'классические'],
  ['уютный', 'уютная', 'уютное', 'уютные'],
  ['прочный', 'прочная', 'прочное', 'прочные'],
  ['умный', 'умная', 'умное', 'умные'],
  ['зимний', 'зимняя', 'зимнее', 'зимние'],
  ['летний', 'летняя', 'летнее', 'летние'],
  ['деревянный', 'деревянная', 'деревянное', 'деревянные'],
  ['кожаный', 'кожаная', 'кожаное', 'кожаные'],
  ['стальной', 'стальная', 'стальное', 'стальные'],
  ['космический', 'космическая', 'космическое', 'космические'],
  ['домашний', 'домашняя', 'домашнее', 'домашние'],
  ['туристический', 'туристическая', 'туристическое', 'туристические'],
  ['водонепроницаемый', 'водонепроницаемая', 'водонепроницаемое', 'водонепроницаемые'],
  ['мягкий', 'мягкая', 'мягкое', 'мягкие'],
  ['яркий', 'яркая', 'яркое', 'яркие'],
].map(([m, f, n, p]) => ({ m: m!, f: f!, n: n!, p: p! }));

export const enAdjectives = [
  'new', 'red', 'black', 'white', 'blue', 'green', 'grey', 'golden', 'large', 'mini', 'lightweight', 'compact',
  'wireless', 'professional', 'kids', 'classic', 'cosy', 'durable', 'smart', 'winter', 'summer', 'wooden',
  'leather', 'steel', 'cosmic', 'vintage', 'portable', 'waterproof', 'soft', 'bright', 'ergonomic', 'premium',
];

/** Brand-like names, in both scripts: «Космос» is the classic one to search for. */
export const brands = [
  'Космос', 'Орбита', 'Восток', 'Заря', 'Полюс', 'Байкал', 'Сибирь', 'Радуга', 'Север', 'Спутник',
  'Acme', 'Nova', 'Zenith', 'Aurora', 'Vertex', 'Polaris', 'Nimbus', 'Orion', 'Atlas', 'Helios',
];

export const ruFeatures = [
  'гарантия два года', 'быстрая доставка', 'подходит для подарка', 'экологичные материалы', 'ручная работа',
  'сделано в России', 'новая коллекция', 'хит продаж', 'удобная упаковка', 'долгий срок службы',
  'простой уход', 'современный дизайн', 'тихая работа', 'защита от влаги', 'энергосберегающий режим',
  'мягкая подкладка', 'съёмный чехол', 'лучший выбор для дома', 'для города и путешествий', 'ограниченная серия',
];

export const enFeatures = [
  'two-year warranty', 'fast delivery', 'a perfect gift', 'eco-friendly materials', 'handmade',
  'imported quality', 'new collection', 'best seller', 'recyclable packaging', 'long service life',
  'easy to clean', 'modern design', 'quiet operation', 'water resistant', 'energy saving mode',
  'soft lining', 'removable cover', 'great for home', 'for city and travel', 'limited edition',
];

/** Every word a name or description can contain, lower-case: what the benchmark searches for. */
export function searchWords(): string[] {
  const words = new Set<string>();
  const add = (text: string) => {
    for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) if (word.length >= 3) words.add(word);
  };
  for (const category of categories) {
    for (const [noun] of category.ru) add(noun);
    for (const noun of category.en) add(noun);
  }
  for (const adjective of ruAdjectives) add(Object.values(adjective).join(' '));
  enAdjectives.forEach(add);
  brands.forEach(add);
  return [...words].sort();
}
