import { DEFAULT_APP, DEFAULT_USERS } from './constants';
import { seedWorld } from './seed';
import { emptyData, type EmulatorState, type StateData } from './state';
import type { EmulatorApp, EmulatorUser, PinterestEmulatorOptions } from './types';

/**
 * The state to start with. Without a data file: defaults plus options. With one: what it holds,
 * with options given explicitly taking precedence (so the local stack can pass the configured app
 * credentials at every start): app fields given replace stored ones, except redirect URIs, which
 * are added to those already registered; given users replace stored users with the same id.
 * Worlds from files written before the seed existed get it now, once.
 */

function definedFields<T extends object>(value: Partial<T> | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function mergeApp(stored: EmulatorApp | undefined, given: Partial<EmulatorApp> | undefined): EmulatorApp {
  const base = stored ?? DEFAULT_APP;
  const redirectUris = [...new Set([...base.redirectUris, ...(given?.redirectUris ?? [])])];
  return { ...base, ...definedFields(given), redirectUris };
}

function mergeUsers(stored: EmulatorUser[] | undefined, given: EmulatorUser[] | undefined): EmulatorUser[] {
  if (stored === undefined) return structuredClone(given ?? [...DEFAULT_USERS]);
  const replaced = new Set((given ?? []).map((u) => u.id));
  return [...stored.filter((u) => !replaced.has(u.id)), ...structuredClone(given ?? [])];
}

function storedData(stored: EmulatorState): StateData {
  seedWorld('sandbox', stored.environments.sandbox);
  seedWorld('production', stored.environments.production);
  return { codes: stored.codes, pending: stored.pending, environments: stored.environments };
}

export function initialState(options: PinterestEmulatorOptions, stored: EmulatorState | undefined): EmulatorState {
  const users = mergeUsers(stored?.users, options.users);
  const first = users[0];
  if (first === undefined) throw new Error('Pinterest emulator: at least one user is needed');
  if (new Set(users.map((u) => u.id)).size !== users.length) throw new Error('Pinterest emulator: user ids must be unique');
  const consentingUserId = users.some((u) => u.id === stored?.consentingUserId) ? (stored?.consentingUserId ?? first.id) : first.id;
  return {
    formatVersion: 1,
    app: mergeApp(stored?.app, options.app),
    users,
    consentMode: options.consentMode ?? stored?.consentMode ?? 'manual',
    consentingUserId,
    ...(stored === undefined ? emptyData() : storedData(stored)),
  };
}
