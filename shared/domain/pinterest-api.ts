import * as z from '../zod';

/**
 * The shapes that cross the Pinterest boundary, defined once: what the client parses and the use
 * cases read (the token answer, the user account) and the app's credentials. Checked against
 * Pinterest's OpenAPI description in the contract tests.
 */

const trimmedText = z.string().check(z.trim(), z.minLength(1));
const positiveInt = z.number().check(z.int(), z.positive());

/** The Pinterest app's id and secret (Secrets Manager `app/pinterest-client`; HTTP Basic at the token endpoint). */
export const appCredentialsSchema = z.object({ clientId: trimmedText, clientSecret: trimmedText });
export type AppCredentials = z.infer<typeof appCredentialsSchema>;

/** `POST /v5/oauth/token` answer (`scope` space-separated). `refresh_token` may be absent on a refresh. */
export const tokenResponseSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  token_type: z.string(),
  expires_in: positiveInt,
  scope: z.optional(z.string()),
  refresh_token: z.optional(z.string().check(z.minLength(1))),
  refresh_token_expires_in: z.optional(positiveInt),
  refresh_token_expires_at: z.optional(positiveInt),
  response_type: z.optional(z.string()),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** `GET /v5/user_account`: the token's own account (spec schema `Account`; it has no e-mail field). */
export const accountSchema = z.looseObject({
  // The spec marks nothing required; without these the account cannot be confirmed at all.
  id: z.string().check(z.regex(/^\d+$/)),
  username: z.string(),
  account_type: z.optional(z.enum(['PINNER', 'BUSINESS'])),
  business_name: z.optional(z.nullable(z.string())),
  profile_image: z.optional(z.string()),
  website_url: z.optional(z.string()),
});
export type PinterestAccount = z.infer<typeof accountSchema>;

const numericId = z.string().check(z.regex(/^\d+$/));
const nullableInt = z.optional(z.nullable(z.number().check(z.int())));

/** A board as `GET /v5/boards` and `POST /v5/boards` answer it (spec schema `Board`). */
export const boardSchema = z.looseObject({
  id: numericId,
  name: z.string(),
  description: z.optional(z.nullable(z.string())),
  owner: z.optional(z.looseObject({ username: z.optional(z.string()) })),
  privacy: z.optional(z.enum(['PUBLIC', 'PROTECTED', 'SECRET'])),
  collaborator_count: nullableInt,
  pin_count: nullableInt,
  created_at: z.optional(z.string()),
});
export type PinterestBoard = z.infer<typeof boardSchema>;

export const sectionSchema = z.looseObject({ id: numericId, name: z.string() });
export type PinterestSection = z.infer<typeof sectionSchema>;


