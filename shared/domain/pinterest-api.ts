import { z } from 'zod';

/**
 * The shapes that cross the Pinterest boundary, defined once: what the client parses and the use
 * cases read (the token answer, the user account) and the app's credentials. Checked against
 * Pinterest's OpenAPI description in the contract tests.
 */

/** The Pinterest app's id and secret (Secrets Manager `app/pinterest-client`; HTTP Basic at the token endpoint). */
export const appCredentialsSchema = z.object({ clientId: z.string().trim().min(1), clientSecret: z.string().trim().min(1) });
export type AppCredentials = z.infer<typeof appCredentialsSchema>;

/** `POST /v5/oauth/token` answer (`scope` space-separated). `refresh_token` may be absent on a refresh. */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
  scope: z.string().optional(),
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: z.number().int().positive().optional(),
  refresh_token_expires_at: z.number().int().positive().optional(),
  response_type: z.string().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

/** `GET /v5/user_account`: the token's own account (spec schema `Account`; it has no e-mail field). */
export const accountSchema = z
  .object({
    // The spec marks nothing required; without these the account cannot be confirmed at all.
    id: z.string().regex(/^\d+$/),
    username: z.string(),
    account_type: z.enum(['PINNER', 'BUSINESS']).optional(),
    business_name: z.string().nullable().optional(),
    profile_image: z.string().optional(),
    website_url: z.string().optional(),
  })
  .loose();
export type PinterestAccount = z.infer<typeof accountSchema>;
