import * as z from './zod';
import { ConfigError } from './domain/errors';

/**
 * Application settings, read from the environment once at cold start and validated with zod.
 * A missing or invalid value fails the function at once, naming the variable. Resource names
 * (tables, secret prefix, buckets) are bound per function by the CDK helper and read through
 * `requireBinding`, so a function only sees the resources it was granted.
 */

const positiveInt = (fallback: number) => z._default(z.coerce.number().check(z.int(), z.positive()), fallback);
const httpUrl = z.url({ protocol: /^https?$/ });

/** 127.0.0.0/8, localhost and ::1: addresses that never leave the machine. */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * A Pinterest URL carries the client secret and tokens, and the public base URL the OAuth code and
 * the browser's Secure cookie, so both must be https. Plain http is accepted only for a loopback
 * address, which is what the local stack uses: a deployment cannot be talked into sending them in
 * clear, and no flag can switch the rule off.
 */
const secureUrl = (what: string) =>
  httpUrl.check(
    z.refine((value: string) => {
      if (!URL.canParse(value)) return true; // the URL check above has already said what is wrong
      const url = new URL(value);
      return url.protocol === 'https:' || isLoopback(url.hostname);
    }, `must be an https URL (plain http is accepted only for a loopback address such as ${what})`),
  );
const pinterestUrl = secureUrl('the local emulator');
const email = z.email();

export const settingsSchema = z.object({
  /** Base of every link we hand out, including the OAuth redirect URI. */
  PUBLIC_BASE_URL: z.pipe(secureUrl('the local stack'), z.transform((u: string) => u.replace(/\/+$/, ''))),
  PINTEREST_AUTHORIZE_URL: z._default(pinterestUrl, 'https://www.pinterest.com/oauth/'),
  PINTEREST_API_BASE_SANDBOX: z._default(pinterestUrl, 'https://api-sandbox.pinterest.com/v5'),
  PINTEREST_API_BASE_PRODUCTION: z._default(pinterestUrl, 'https://api.pinterest.com/v5'),
  PINTEREST_ACCESS_TIER: z._default(z.enum(['trial', 'standard']), 'trial'),
  /** When set, OAuth refuses any other Pinterest account (numeric user id). */
  PINTEREST_EXPECTED_ACCOUNT_ID: z.optional(z.string().check(z.regex(/^\d+$/, 'must be a numeric Pinterest account id'))),
  OPERATOR_NOTIFY_EMAIL: email,
  SENDER_EMAIL: email,
  SUPPORT_EMAIL: z._default(email, 'info@ecooffice.net'),
  /**
   * Deployment only: the addresses the SES receipt rule accepts mail for (comma-separated; a domain
   * such as `ecooffice.net` takes all of it). Empty: SUPPORT_EMAIL.
   */
  RECEIVE_MAIL_FOR: z.optional(
    z.string().check(
      z.refine(
        (value: string) => value.split(',').every((part) => /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$|^[a-z0-9.-]+\.[a-z]{2,}$/i.test(part.trim())),
        'must be email addresses or domains, separated by commas',
      ),
    ),
  ),
  /**
   * Deployment only: make this stack's receipt rule set the region's active one. Off by default: SES
   * has one active set per region, and activating replaces any other (docs/deploy.md).
   */
  ACTIVATE_RECEIPT_RULE_SET: z._default(z.stringbool({ truthy: ['true'], falsy: ['false'] }), false),
  /** Acknowledge inbound support mail (only where answering is safe: docs/support-mail.md). */
  SUPPORT_ACKNOWLEDGE: z._default(z.stringbool({ truthy: ['true'], falsy: ['false'] }), true),
  /** Submissions of the public support form per client address per hour (a counter under a keyed hash). */
  SUPPORT_FORM_PER_HOUR: positiveInt(5),
  /** Refresh an access token this many days before it expires (Pinterest's last 30 days). */
  REFRESH_ACCESS_DAYS: positiveInt(5),
  /** Refresh (and, if that does not move it, warn) this many days before the refresh token's end. */
  REFRESH_WARN_DAYS: positiveInt(20),
  /** Minimum seconds between two Pin writes in one environment (all functions together). */
  PUBLISH_MIN_GAP_SECONDS: z._default(z.coerce.number().check(z.int(), z.gte(0), z.lte(86_400, 'must be at most 86400 (a day): the pacing counter lives two days')), 10),
  /** Pin writes per environment per UTC day (Trial access allows 300 writes a day). */
  PUBLISH_DAILY_CAP: positiveInt(300),
  /** A Pin record `publishing` or `needs_reconcile` for longer than this counts as stuck (the StuckPinRecords metric). */
  STUCK_AFTER_MINUTES: positiveInt(60),
  RETENTION_OAUTH_STATE_MINUTES: positiveInt(10).check(z.refine((m: number) => m <= 10, 'must be at most 10 minutes')),
  RETENTION_SECURITY_LOG_DAYS: positiveInt(90),
  RETENTION_RATE_LIMIT_HOURS: positiveInt(1),
  RETENTION_DISCONNECTED_ACCOUNT_DAYS: positiveInt(90),
  RETENTION_SUPPORT_DAYS: positiveInt(365),
  RETENTION_QUARANTINE_DAYS: positiveInt(30),
  RETENTION_COMPLIANCE_DAYS: positiveInt(1095),
  /** How long a privacy export is served again (GET /privacy/requests/{id}/export) and kept under `exports/`. */
  RETENTION_EXPORT_DAYS: positiveInt(7).check(z.refine((d: number) => d <= 30, 'must be at most 30 days')),
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingName = keyof z.input<typeof settingsSchema>;

/** Environment variables that name the resources a function is bound to (set by infra/bind.ts). */
export const bindingNames = [
  'STATE_TABLE',
  'WORKFLOW_TABLE',
  'AUDIT_TABLE',
  'SECRET_PREFIX',
  'DATA_BUCKET',
] as const;
export type BindingName = (typeof bindingNames)[number];

type Env = Record<string, string | undefined>;

/** Validates the settings in `env`; throws a ConfigError naming every bad variable. */
export function loadSettings(env: Env = process.env): Settings {
  // Empty strings count as unset, as they do for CloudFormation parameters.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = settingsSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const variables = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return present[name] === undefined ? `${name} is required` : `${name} ${issue.message}`;
  });
  throw new ConfigError(variables, problems);
}

let cached: Settings | undefined;

/** The settings of this process, validated on first use (module scope at cold start). */
export function settings(): Settings {
  cached ??= loadSettings();
  return cached;
}

/** Returns a resource binding or fails naming the variable the deploy forgot. */
export function requireBinding(name: BindingName, env: Env = process.env): string {
  return requireVariable(name, env);
}

/**
 * The variable that names a function the caller may invoke (an `invokes` grant, shared/routes.ts):
 * the function id in upper snake case after `FUNCTION_`, `syncBoards` → `FUNCTION_SYNC_BOARDS`. Set
 * by infra/bind.ts to the deployed function's name, and by the local stack to the id itself.
 */
export type FunctionBindingName = `FUNCTION_${string}`;
export function functionBindingName(fnId: string): FunctionBindingName {
  return `FUNCTION_${fnId.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** The name of a function the caller may invoke, or fails naming the variable (not granted, or not deployed). */
export function requireFunctionBinding(fnId: string, env: Env = process.env): string {
  return requireVariable(functionBindingName(fnId), env);
}

function requireVariable(name: string, env: Env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError([name], [`${name} is required`]);
  return value;
}
