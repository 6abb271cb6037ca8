import * as z from '../../zod';

/** zod schemas for the Pinterest responses the product reads (checked against the OpenAPI spec in tests). */

export const errorBodySchema = z.looseObject({ code: z.number().check(z.int()), message: z.string() });

export { accountSchema, tokenResponseSchema, type PinterestAccount, type TokenResponse } from '../../domain/pinterest-api';
