import { z } from 'zod';
import { invalidParameter } from './errors';
import { tagSchema } from './state';

const MAX_VALUE_BYTES = 65_536;

const secretIdSchema = z.string().min(1).max(2048);
const tokenSchema = z.string().min(32).max(64).optional();
const stageSchema = z.string().min(1).max(256);
const secretStringSchema = z.string().max(MAX_VALUE_BYTES).optional();
const secretBinarySchema = z
  .base64()
  .refine((value) => Buffer.from(value, 'base64').length <= MAX_VALUE_BYTES, 'SecretBinary is too large')
  .optional();
const descriptionSchema = z.string().max(2048).optional();
const maxResultsSchema = z.number().int().min(1).max(100).optional();

export const createSecretInput = z.object({
  Name: z
    .string()
    .min(1)
    .max(512)
    .regex(/^[A-Za-z0-9/_+=.@-]+$/, 'must contain only alphanumeric characters and /_+=.@-'),
  ClientRequestToken: tokenSchema,
  Description: descriptionSchema,
  SecretString: secretStringSchema,
  SecretBinary: secretBinarySchema,
  Tags: z.array(tagSchema).max(50).optional(),
});

export const getSecretValueInput = z.object({
  SecretId: secretIdSchema,
  VersionId: z.string().min(32).max(64).optional(),
  VersionStage: stageSchema.optional(),
});

export const putSecretValueInput = z.object({
  SecretId: secretIdSchema,
  ClientRequestToken: tokenSchema,
  SecretString: secretStringSchema,
  SecretBinary: secretBinarySchema,
  VersionStages: z.array(stageSchema).min(1).max(20).optional(),
});

export const updateSecretInput = z.object({
  SecretId: secretIdSchema,
  ClientRequestToken: tokenSchema,
  Description: descriptionSchema,
  SecretString: secretStringSchema,
  SecretBinary: secretBinarySchema,
});

export const secretIdInput = z.object({ SecretId: secretIdSchema });

const filterKeys = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'] as const;
export type FilterKey = (typeof filterKeys)[number];

const filterSchema = z.object({
  Key: z.enum(filterKeys),
  Values: z
    .array(z.string().max(512).regex(/^!?[a-zA-Z0-9 :_@/+=.\-!]*$/, 'contains characters a filter cannot hold'))
    .min(1)
    .max(10),
});
export type Filter = z.infer<typeof filterSchema>;

export const listSecretsInput = z.object({
  MaxResults: maxResultsSchema,
  NextToken: z.string().optional(),
  Filters: z.array(filterSchema).max(10).optional(),
  IncludePlannedDeletion: z.boolean().optional(),
  SortOrder: z.enum(['asc', 'desc']).optional(),
  SortBy: z.enum(['created-date', 'last-accessed-date', 'last-changed-date', 'name']).optional(),
});

export const listVersionIdsInput = z.object({
  SecretId: secretIdSchema,
  MaxResults: maxResultsSchema,
  NextToken: z.string().optional(),
  IncludeDeprecated: z.boolean().optional(),
});

export const deleteSecretInput = z.object({
  SecretId: secretIdSchema,
  RecoveryWindowInDays: z.number().int().optional(),
  ForceDeleteWithoutRecovery: z.boolean().optional(),
});

/** Parses a request body, turning the first problem into the InvalidParameterException AWS gives. */
export function parseInput<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue ? issue.path.map((part) => String(part)).join('.') : '';
  throw invalidParameter(`Invalid parameter ${where}: ${issue?.message ?? 'invalid input'}`);
}
