/**
 * Words the seed (./seed.ts) builds names from. Some carry emoji, `&` and `<` on purpose: a client
 * that forgets to escape board names in HTML or to count characters rather than bytes shows it here.
 */

/** 40 topics × 15 qualifiers give 600 distinct board names. */
export const BOARD_TOPICS: readonly string[] = [
  'Zen Garden',
  'Mindful Mornings',
  'Home Office',
  'Minimalist Decor',
  'Plant Care',
  'Herbal Tea',
  'Yoga Flow',
  'Meditation Corners',
  'Journal Prompts',
  'Slow Living',
  'Capsule Wardrobe',
  'Digital Detox',
  'Japandi Interiors',
  'Wabi-Sabi',
  'Bonsai',
  'Calligraphy',
  'Watercolor',
  'Ceramics',
  'Bento Recipes',
  'Matcha',
  'Forest Bathing',
  'Hiking Trails',
  'Kyoto Travel',
  'Lisbon Travel',
  'Reading Nook',
  'Desk Setups',
  'Productivity',
  'Morning Routines',
  'Self-Care',
  'Breathwork',
  'Sleep Rituals',
  'Sustainable Living',
  'Zero Waste',
  'Upcycling',
  'Candles',
  'Aromatherapy',
  'Quotes',
  'Typography',
  'Branding',
  'Photography',
];

export const BOARD_QUALIFIERS: readonly string[] = [
  'Ideas',
  'Inspiration',
  'Tips & Tricks',
  '✨ Favorites',
  'Mood Board',
  'for Beginners',
  'on a Budget',
  'Aesthetic',
  'DIY',
  'Checklist',
  'Small Spaces',
  '< 10 Minutes',
  '🌿 Collection',
  '2025',
  'Wishlist',
];

/** Boards of the other seed user: the first three list the default user as a collaborator. */
export const OTHER_USER_BOARDS: readonly string[] = [
  'Family Recipes 🍲',
  'Trip Planning & Packing Lists',
  'Shared <Mood> Board',
  'Vintage Cars',
  'Fishing Spots',
];

/** Section names of the first three boards, in board order. */
export const SECTION_NAMES: readonly (readonly string[])[] = [
  ['Rock Gardens', 'Moss & Ferns', 'Water Features 💧', 'Lanterns'],
  ['Sunrise Rituals', 'Tea & Journaling', 'Stretching'],
  ['Desks', 'Lighting'],
];

export const PIN_TITLES: readonly string[] = [
  'Raked gravel patterns for a tiny courtyard',
  'A 5-minute morning breathing routine',
  'Moss garden in a shallow bowl',
  'Bamboo water spout ideas',
  'Stone lantern placement guide',
  'Quiet corner with floor cushions',
  'Natural light for a calm workspace',
  'Pebble path with stepping stones',
  'Tea ceremony essentials 🍵',
  'Printable gratitude journal page',
  'Low shelves & clean lines',
  'Seasonal ikebana arrangement',
];

export const DOMINANT_COLORS: readonly string[] = ['#6E7874', '#A3B18A', '#DAD7CD', '#588157', '#3A5A40', '#B7B7A4', '#CB997E', '#6B705C'];

/** Typical Pin image heights for a 1000 px wide original (2:3 is Pinterest's recommended ratio). */
export const IMAGE_HEIGHTS: readonly number[] = [1500, 1250, 1000, 1800];
