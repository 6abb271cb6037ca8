import * as z from '../shared/zod';
import { environments } from '../shared/domain/pinterest';
import { httpHandler } from '../shared/http/handler';
import { jsonBody } from '../shared/http/input';
import { json } from '../shared/http/responses';
import { createBoard } from '../shared/use-cases/boards';
import { safeSecurityLog } from '../shared/wiring';
import { boardCallDeps } from '../shared/wiring-board-calls';

// Pinterest's limit for a board name: 1–180 characters (counted as characters, not UTF-16 units).
const body = z.strictObject({
  environment: z.enum(environments, { error: 'environment must be sandbox or production' }),
  name: z.string().check(
    z.trim(),
    z.minLength(1, 'name must not be empty'),
    z.refine((name: string) => Array.from(name).length <= 180, 'name must be at most 180 characters'),
  ),
  description: z.optional(z.string().check(z.maxLength(5000, 'description must be at most 5000 characters'))),
  privacy: z.optional(z.enum(['PUBLIC', 'SECRET'], { error: 'privacy must be PUBLIC or SECRET' })),
});

/** POST /boards (operator): creates a board at Pinterest (the sandbox starts with none) and adds it to the snapshot. */
export const handler = httpHandler(async (event) => {
  const { environment, ...board } = jsonBody(event, body);
  return json(201, { environment, ...(await createBoard(boardCallDeps(), environment, board)) });
}, { securityLog: safeSecurityLog });
