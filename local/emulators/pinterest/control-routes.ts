import { z } from 'zod';
import { consentModeSchema, ControlError, environmentSchema, parseInput, tierSchema } from './controls';
import { faultSchema } from './faults';
import { apiError, json, mediaType, type EmulatorRequest, type Reply } from './http';
import type { EmulatorService } from './service';
import { userSchema } from './state';
import type { EmulatorControls } from './types';
import type { WwwRoute } from './www';

/**
 * The controls over HTTP on the www host: `POST /_emulator/<action>` with a JSON body (empty = {}),
 * answered with JSON. Action names are the control methods in kebab-case. These routes are not
 * logged and never hit by faults (see ./faults.ts). A control POST must say
 * `Content-Type: application/json` (else 415, nothing done): a web page can send a cross-site form or
 * text/plain POST without asking, but not a JSON one, so no page can change the emulator.
 */

type Action = (controls: EmulatorControls, body: unknown) => unknown;

const environmentAndUser = z.object({ environment: environmentSchema, userId: z.string() });

const actions: Readonly<Record<string, Action>> = {
  'set-consent-mode': (c, body) => {
    c.setConsentMode(parseInput(z.object({ mode: consentModeSchema }), body).mode);
  },
  'set-consenting-user': (c, body) => {
    c.setConsentingUser(parseInput(z.object({ userId: z.string() }), body).userId);
  },
  'add-user': (c, body) => {
    c.addUser(parseInput(userSchema, body));
  },
  'register-redirect-uri': (c, body) => {
    c.registerRedirectUri(parseInput(z.object({ uri: z.string() }), body).uri);
  },
  'set-tier': (c, body) => {
    c.setTier(parseInput(z.object({ tier: tierSchema }), body).tier);
  },
  'inject-fault': (c, body) => ({ faultId: c.injectFault(parseInput(faultSchema, body)) }),
  'seed-boards': (c, body) => {
    const input = parseInput(environmentAndUser.extend({ count: z.number() }), body);
    return { boardIds: c.seedBoards(input.environment, input.userId, input.count) };
  },
  'delete-board': (c, body) => {
    const input = parseInput(z.object({ environment: environmentSchema, boardId: z.string() }), body);
    c.deleteBoard(input.environment, input.boardId);
  },
  pins: (c, body) => ({ pins: c.pins(parseInput(z.object({ environment: environmentSchema }), body).environment) }),
  'delete-pin': (c, body) => {
    const input = parseInput(z.object({ environment: environmentSchema, pinId: z.string() }), body);
    c.deletePin(input.environment, input.pinId);
  },
  'clear-faults': (c) => {
    c.clearFaults();
  },
  'revoke-grant': (c, body) => {
    const input = parseInput(environmentAndUser, body);
    c.revokeGrant(input.environment, input.userId);
  },
  'expire-access-tokens': (c, body) => {
    const input = parseInput(environmentAndUser.partial({ userId: true }), body);
    c.expireAccessTokens(input.environment, input.userId);
  },
  requests: (c) => ({ requests: c.requests() }),
  reset: (c) => {
    c.reset();
  },
  'issue-tokens': (c, body) => {
    // Scopes may be a list or one comma/space-separated string, as on the authorize page.
    const scopes = z.union([z.array(z.string()), z.string().transform((s) => s.split(/[\s,]+/).filter((x) => x !== ''))]);
    const input = parseInput(environmentAndUser.extend({ scopes }), body);
    return c.issueTokens(input.environment, input.userId, input.scopes);
  },
};

function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ControlError('The body must be JSON.');
  }
}

function runAction(controls: EmulatorControls, req: EmulatorRequest): Reply {
  if (req.method === 'POST' && mediaType(req.headers) !== 'application/json') {
    return apiError(415, 1, 'Content-Type must be application/json.');
  }
  const name = req.params.action ?? '';
  const action = Object.hasOwn(actions, name) ? actions[name] : undefined;
  if (action === undefined) return apiError(404, 404, `Unknown control action: ${name}. Known: ${Object.keys(actions).join(', ')}`);
  try {
    const result = action(controls, parseJson(req.body));
    return json(200, result ?? { ok: true });
  } catch (error) {
    if (error instanceof ControlError) return apiError(400, 1, error.message);
    throw error;
  }
}

export function controlRoutes(controls: EmulatorControls): readonly WwwRoute[] {
  const handle = (_service: EmulatorService, req: EmulatorRequest): Reply => runAction(controls, req);
  return [
    { method: 'POST', pattern: '/_emulator/:action', handle },
    // Reading the log from a browser is handy when testing by hand (the pattern names no action).
    { method: 'GET', pattern: '/_emulator/requests', handle: (service, req) => handle(service, { ...req, params: { action: 'requests' } }) },
  ];
}

export const CONTROL_PATH_PREFIX = '/_emulator/';
