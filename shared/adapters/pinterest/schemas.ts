import { z } from 'zod';

/** zod schemas for the Pinterest responses the product reads (checked against the OpenAPI spec in tests). */

export const errorBodySchema = z.object({ code: z.number().int(), message: z.string() }).loose();

export { accountSchema, tokenResponseSchema, type PinterestAccount, type TokenResponse } from '../../domain/pinterest-api';
