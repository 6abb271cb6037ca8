import { apiError, json, type Reply } from './http';

/**
 * Bookmark paging (spec `Paginated`): `page_size` 1–250, default 25, and an opaque
 * `bookmark` that is null on the last page. A bookmark is a keyset cursor (the list's name and the
 * sort key of the last item sent), so Pins created while a client pages do not shift later pages.
 * It is standard base64 behind two marker bytes and padded so that every bookmark contains `+`, `/`
 * and `=`: a client that puts one in a query string without percent-encoding it (the `+` then
 * arrives as a space) gets a 400 here at once instead of a rare failure against Pinterest.
 */

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 250;

/** Compared element by element; every list's keys are unique and ascend in list order. */
export type SortKey = readonly number[];

export interface PageQuery {
  pageSize: number;
  /** The sort key of the last item already sent; absent for the first page. */
  after: SortKey | undefined;
}

export interface Page<T> {
  items: T[];
  bookmark: string | null;
}

// 0xfb 0xff encode to "+/" whatever follows, so the very first characters need encoding.
const MARKER = Buffer.from([0xfb, 0xff]);

function compareKeys(a: SortKey, b: SortKey): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function encodeBookmark(list: string, key: SortKey): string {
  let text = `${list}|${key.join(',')}`;
  // A byte count of 1 mod 3 makes base64 end in "==".
  while ((MARKER.length + Buffer.byteLength(text)) % 3 !== 1) text += '~';
  return Buffer.concat([MARKER, Buffer.from(text, 'utf8')]).toString('base64');
}

function decodeBookmark(list: string, bookmark: string): SortKey | undefined {
  // Strict alphabet: Buffer.from would silently skip the space an unencoded '+' turns into.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(bookmark)) return undefined;
  const bytes = Buffer.from(bookmark, 'base64');
  if (bytes.length <= MARKER.length || !bytes.subarray(0, MARKER.length).equals(MARKER)) return undefined;
  const [name, keys] = bytes.subarray(MARKER.length).toString('utf8').replace(/~+$/, '').split('|');
  if (name !== list || keys === undefined || keys === '') return undefined;
  const key = keys.split(',').map(Number);
  return key.every(Number.isFinite) ? key : undefined;
}

function invalid(message: string): { error: Reply } {
  return { error: apiError(400, 1, message) };
}

/** Reads `page_size` and `bookmark`; `list` names the list so a bookmark of another list is refused. */
export function pageQuery(query: URLSearchParams, list: string): { page: PageQuery } | { error: Reply } {
  const raw = query.get('page_size');
  let pageSize = DEFAULT_PAGE_SIZE;
  if (raw !== null) {
    if (!/^-?\d+$/.test(raw)) return invalid(`'${raw}' is not of type 'integer' - 'page_size'`);
    pageSize = Number(raw);
    if (pageSize < 1) return invalid(`${raw} is less than the minimum of 1 - 'page_size'`);
    if (pageSize > MAX_PAGE_SIZE) return invalid(`${raw} is greater than the maximum of ${MAX_PAGE_SIZE} - 'page_size'`);
  }
  const bookmark = query.get('bookmark');
  if (bookmark === null || bookmark === '') return { page: { pageSize, after: undefined } };
  const after = decodeBookmark(list, bookmark);
  if (after === undefined) {
    return invalid("Invalid bookmark - 'bookmark'. Send back the previous page's bookmark unchanged, percent-encoded in the query string.");
  }
  return { page: { pageSize, after } };
}

/** One page of `items` in ascending `keyOf` order, starting after `page.after`. */
export function pageOf<T>(items: readonly T[], keyOf: (item: T) => SortKey, page: PageQuery, list: string): Page<T> {
  const sorted = [...items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  const { after } = page;
  const found = after === undefined ? 0 : sorted.findIndex((item) => compareKeys(keyOf(item), after) > 0);
  const from = found < 0 ? sorted.length : found;
  const slice = sorted.slice(from, from + page.pageSize);
  const last = slice.at(-1);
  // Keyset paging without look-ahead, as a cursor-based API pages: a full page always carries a
  // bookmark (the next page may be empty), a short one never. So n items take ⌊n/size⌋+1 calls.
  const full = slice.length === page.pageSize;
  return { items: slice, bookmark: full && last !== undefined ? encodeBookmark(list, keyOf(last)) : null };
}

/** The whole paged answer: `{items, bookmark}`, or the 400 for a bad `page_size` or `bookmark`. */
export function pagedReply<T>(query: URLSearchParams, list: string, items: readonly T[], keyOf: (item: T) => SortKey, render: (item: T) => unknown): Reply {
  const parsed = pageQuery(query, list);
  if ('error' in parsed) return parsed.error;
  const page = pageOf(items, keyOf, parsed.page, list);
  return json(200, { items: page.items.map(render), bookmark: page.bookmark });
}
