/**
 * Words the sandbox catalog is generated from. Brands are fictional. Changing any list changes
 * the generated catalog: bump SEED_VERSION with it.
 */

export const SEED_VERSION = 1

/** [product type, category, min price in cents, max price in cents] */
export const PRODUCT_TYPES: readonly (readonly [string, string, number, number])[] = [
  ['Wireless Headphones', 'Electronics', 2500, 35000],
  ['Wireless Earbuds', 'Electronics', 1900, 27900],
  ['Bluetooth Speaker', 'Electronics', 1900, 29900],
  ['Smartwatch', 'Electronics', 3900, 44900],
  ['USB-C Charger', 'Electronics', 900, 5900],
  ['Power Bank', 'Electronics', 1500, 7900],
  ['Mechanical Keyboard', 'Electronics', 3900, 21900],
  ['Wireless Mouse', 'Electronics', 900, 8900],
  ['4K Monitor', 'Electronics', 19900, 89900],
  ['Webcam', 'Electronics', 2900, 17900],
  ['Portable SSD', 'Electronics', 4900, 29900],
  ['Action Camera', 'Electronics', 7900, 44900],
  ['HDMI Cable', 'Electronics', 600, 2900],
  ['Smart Speaker', 'Electronics', 2900, 19900],
  ['E-Reader', 'Electronics', 7900, 27900],
  ['Gaming Headset', 'Electronics', 2900, 24900],
  ['OLED Television', 'Electronics', 59900, 239900],
  ['Laptop', 'Electronics', 34900, 249900],
  ['Coffee Maker', 'Home & Kitchen', 2500, 19900],
  ['Espresso Machine', 'Home & Kitchen', 7900, 89900],
  ['Air Fryer', 'Home & Kitchen', 4900, 19900],
  ['Blender', 'Home & Kitchen', 2900, 39900],
  ['Chef Knife', 'Home & Kitchen', 1500, 14900],
  ['Cast Iron Skillet', 'Home & Kitchen', 1900, 7900],
  ['Nonstick Frying Pan', 'Home & Kitchen', 1500, 8900],
  ['Electric Kettle', 'Home & Kitchen', 1900, 9900],
  ['Stand Mixer', 'Home & Kitchen', 9900, 49900],
  ['Food Storage Containers', 'Home & Kitchen', 1200, 4900],
  ['Robot Vacuum', 'Home & Kitchen', 14900, 79900],
  ['Toaster', 'Home & Kitchen', 1900, 12900],
  ['Water Bottle', 'Sports & Outdoors', 900, 4900],
  ['Yoga Mat', 'Sports & Outdoors', 1500, 8900],
  ['Running Shoes', 'Sports & Outdoors', 4900, 18900],
  ['Camping Tent', 'Sports & Outdoors', 5900, 49900],
  ['Sleeping Bag', 'Sports & Outdoors', 2900, 24900],
  ['Hiking Backpack', 'Sports & Outdoors', 3900, 22900],
  ['Adjustable Dumbbells', 'Sports & Outdoors', 4900, 39900],
  ['Resistance Bands', 'Sports & Outdoors', 900, 3900],
  ['Bike Helmet', 'Sports & Outdoors', 2500, 14900],
  ['Building Blocks Set', 'Toys & Games', 1500, 14900],
  ['Board Game', 'Toys & Games', 1500, 7900],
  ['Jigsaw Puzzle', 'Toys & Games', 900, 3900],
  ['Remote Control Car', 'Toys & Games', 2500, 14900],
  ['Plush Toy', 'Toys & Games', 900, 4900],
  ['Electric Toothbrush', 'Beauty & Personal Care', 2500, 19900],
  ['Hair Dryer', 'Beauty & Personal Care', 2500, 39900],
  ['Facial Cleanser', 'Beauty & Personal Care', 600, 3900],
  ['Sunscreen Lotion', 'Beauty & Personal Care', 600, 2900],
  ['Desk Lamp', 'Office Products', 1500, 8900],
  ['Office Chair', 'Office Products', 9900, 69900],
  ['Standing Desk', 'Office Products', 19900, 119900],
  ['Notebook Set', 'Office Products', 600, 2900],
  ['Fountain Pen', 'Office Products', 1200, 19900],
  ['Hooded Sweatshirt', 'Clothing', 1900, 8900],
  ['Rain Jacket', 'Clothing', 3900, 24900],
  ['Wool Socks', 'Clothing', 900, 3500],
  ['Baseball Cap', 'Clothing', 900, 3900],
  ['Leather Wallet', 'Clothing', 1500, 12900],
  ['Dog Bed', 'Pet Supplies', 1900, 14900],
  ['Cat Scratching Post', 'Pet Supplies', 1900, 8900],
  ['Pet Water Fountain', 'Pet Supplies', 1900, 6900],
  ['Dog Leash', 'Pet Supplies', 900, 3900],
  ['Garden Hose', 'Patio & Garden', 1900, 8900],
  ['Pruning Shears', 'Patio & Garden', 900, 4900],
  ['Solar Path Lights', 'Patio & Garden', 1500, 6900],
  ['Dash Cam', 'Automotive', 3900, 24900],
  ['Tire Inflator', 'Automotive', 2500, 11900],
  ['Car Phone Mount', 'Automotive', 900, 4900],
]

export const BRANDS: readonly string[] = [
  'Acme',
  'Northwind',
  'Contoso',
  'Fabrikam',
  'Globex',
  'Initech',
  'Umbra',
  'Vertex',
  'Lumina',
  'Solara',
  'Aurora',
  'Nimbus',
  'Zenith',
  'Apex',
  'Orion',
  'Polaris',
  'Cobalt',
  'Ember',
  'Halcyon',
  'Kestrel',
  'Meridian',
  'Nova',
  'Pinnacle',
  'Quasar',
  'Riviera',
  'Sequoia',
  'Tundra',
  'Vanguard',
  'Willow',
  'Yukon',
]

export const ADJECTIVES: readonly string[] = [
  'Premium',
  'Compact',
  'Portable',
  'Ergonomic',
  'Smart',
  'Classic',
  'Pro',
  'Ultra',
  'Eco',
  'Deluxe',
  'Essential',
  'Lightweight',
  'Heavy-Duty',
  'Slim',
  'Advanced',
  'Foldable',
]

export const COLORS: readonly string[] = [
  'Black',
  'White',
  'Silver',
  'Navy Blue',
  'Red',
  'Forest Green',
  'Charcoal Gray',
  'Rose Gold',
  'Beige',
  'Teal',
  'Orange',
  'Purple',
]

export const VARIANTS: readonly string[] = [
  '',
  '',
  '',
  '2-Pack',
  'Large',
  'Small',
  'Gen 2',
  '2025 Edition',
  'XL',
  'Mini',
  'Bundle',
]

/** [seller id, seller name] of the retailer itself, per retailer (offer 1, the buy box). */
export const FIRST_PARTY_SELLERS: Readonly<Record<string, readonly [string, string]>> = {
  amazon: ['ATVPDKIKX0DER', 'Amazon.com'],
  walmart: ['WALMART', 'Walmart.com'],
  target: ['TARGET', 'Target'],
  bestbuy: ['BESTBUY', 'Best Buy'],
  ebay: ['EBAYTOP01', 'Top Rated Outlet'],
}

export const MARKETPLACE_SELLERS: readonly (readonly [string, string])[] = [
  ['A1NORTHBAY', 'Northbay Goods'],
  ['A2SUMMITDL', 'Summit Deals'],
  ['A3HARBORCO', 'Harbor & Co'],
  ['A4PRAIRIE', 'Prairie Supply'],
  ['A5METROTR', 'Metro Traders'],
  ['A6CANYONOUT', 'Canyon Outlet'],
  ['A7BLUEFIN', 'Bluefin Retail'],
  ['A8REDWOOD', 'Redwood Direct'],
]

/** Every word a sandbox title, brand or category can contain (the typo-correction dictionary). */
export function sandboxWords(): string[] {
  const text = [
    ...PRODUCT_TYPES.flatMap(([type, category]) => [type, category]),
    ...BRANDS,
    ...ADJECTIVES,
    ...COLORS,
    ...VARIANTS,
    ...SHOWCASE_PRODUCTS.flatMap((p) => [p.title, p.brand, p.category]),
  ].join(' ')
  return [...new Set(searchWords(text))].sort()
}

/** Lowercased, accent-free words of at least two letters, as the search tokenizer sees them. */
export function searchWords(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 2)
}

/**
 * Fixed products with the ids the public documentation uses in its examples, so every example
 * request works against a fresh sandbox. B000000000 has only a used, slow offer (never eligible).
 */
export const SHOWCASE_PRODUCTS: readonly {
  productId: string
  retailer: 'amazon'
  title: string
  brand: string
  category: string
  priceCents: number
  eligible: boolean
}[] = [
  {
    productId: 'B08N5WRWNW',
    retailer: 'amazon',
    title: 'Echo (4th Gen) Smart Speaker, Charcoal',
    brand: 'Echo',
    category: 'Electronics',
    priceCents: 9999,
    eligible: true,
  },
  {
    productId: 'B000NPYY04',
    retailer: 'amazon',
    title: 'Wireless Headphones, Over-Ear, Noise Cancelling',
    brand: 'Acme',
    category: 'Electronics',
    priceCents: 12999,
    eligible: true,
  },
  {
    productId: 'B0B844T634',
    retailer: 'amazon',
    title: 'Insulated Stainless Steel Water Bottle, 32 oz',
    brand: 'Tundra',
    category: 'Sports & Outdoors',
    priceCents: 2499,
    eligible: true,
  },
  {
    productId: 'B000000000',
    retailer: 'amazon',
    title: 'Vintage Film Camera (Used)',
    brand: 'Orion',
    category: 'Electronics',
    priceCents: 8900,
    eligible: false,
  },
]
