import { ApiError } from './errors';
import type { Filter, FilterKey } from './requests';
import type { SecretRecord, Tag } from './state';

function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`, 'utf8').toString('base64url');
}

function decodeToken(token: string | undefined): number {
  if (token === undefined) return 0;
  const match = /^offset:(\d{1,9})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (match?.[1] === undefined) throw new ApiError('InvalidNextTokenException', 'The NextToken value is invalid.');
  return Number(match[1]);
}

export function paginate<T>(items: T[], maxResults: number | undefined, token: string | undefined): { page: T[]; next?: string } {
  const start = decodeToken(token);
  const end = start + (maxResults ?? 100);
  return { page: items.slice(start, end), next: end < items.length ? encodeToken(end) : undefined };
}

function attributeValues(secret: SecretRecord, key: FilterKey): string[] {
  switch (key) {
    case 'name':
      return [secret.name];
    case 'description':
      return [secret.description ?? ''];
    case 'tag-key':
      return secret.tags.map((tag: Tag) => tag.Key);
    case 'tag-value':
      return secret.tags.map((tag: Tag) => tag.Value ?? '');
    case 'all':
      return [secret.name, secret.description ?? '', ...secret.tags.flatMap((tag) => [tag.Key, tag.Value ?? ''])];
    default:
      return []; // primary-region, owning-service: no replicas and no owning services here
  }
}

/** Prefix match per key; description and all ignore case; all also matches the words of a value. */
function matchesValue(secret: SecretRecord, key: FilterKey, value: string): boolean {
  const attributes = attributeValues(secret, key);
  if (key === 'description') return attributes.some((a) => a.toLowerCase().startsWith(value.toLowerCase()));
  if (key !== 'all') return attributes.some((a) => a.startsWith(value));
  const words = attributes.flatMap((a) => [a, ...a.split(/[\s/_+=.@:-]+/)]).map((w) => w.toLowerCase());
  return value
    .toLowerCase()
    .split(/\s+/)
    .filter((term) => term !== '')
    .every((term) => words.some((word) => word.startsWith(term)));
}

/** Values are ORed, `!value` negations must all hold; filters are ANDed. */
export function matchesFilters(secret: SecretRecord, filters: Filter[]): boolean {
  return filters.every((filter) => {
    const positives = filter.Values.filter((value) => !value.startsWith('!'));
    const negatives = filter.Values.filter((value) => value.startsWith('!')).map((value) => value.slice(1));
    const positiveOk = positives.length === 0 || positives.some((value) => matchesValue(secret, filter.Key, value));
    return positiveOk && negatives.every((value) => !matchesValue(secret, filter.Key, value));
  });
}

type SortBy = 'created-date' | 'last-accessed-date' | 'last-changed-date' | 'name';

/** Stable sort, so secrets with equal keys keep their creation order. */
export function sortSecrets(secrets: SecretRecord[], by: SortBy, order: 'asc' | 'desc'): SecretRecord[] {
  const key = (secret: SecretRecord): number | string => {
    if (by === 'name') return secret.name;
    if (by === 'last-changed-date') return secret.lastChangedMs;
    if (by === 'last-accessed-date') return secret.lastAccessedMs ?? 0;
    return secret.createdMs;
  };
  const direction = order === 'asc' ? 1 : -1;
  return [...secrets].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka < kb ? -direction : ka > kb ? direction : 0;
  });
}
