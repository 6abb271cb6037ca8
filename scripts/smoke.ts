/**
 * `npm run smoke -- <api url>`: after a deploy, checks the deployment from the outside, as a browser and
 * the operator would, and prints what to do next. Checks, in order:
 * 1. `GET /health` answers 200;
 * 2. `GET /privacy` serves the privacy policy;
 * 3. an operator route refuses a request without a credential (401) and with a wrong one (403);
 * 4. with the operator credential (`OPERATOR_CREDENTIAL` in the environment, never an argument: it
 *    would stay in the shell's history), `POST /oauth/start` makes a link whose redirect to Pinterest
 *    carries this deployment's client id, the redirect URI `<base>/oauth/callback`, `response_type=code`,
 *    the scopes and a state. A missing or empty secret is reported with what to run.
 * Exit code 0 when every check that could run passed, 1 when one failed, 2 for a usage error.
 */
import { parseArgs } from 'node:util';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const SCOPES = ['boards:read', 'boards:write', 'pins:read', 'pins:write', 'user_accounts:read'];
const TIMEOUT_MS = 15_000;

async function request(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
}

/** The error message of a JSON error answer, or the start of the text. */
async function said(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    const code = body.error?.code;
    const message = body.error?.message ?? text;
    return (code === undefined ? message : `${code}: ${message}`).slice(0, 400);
  } catch {
    return text.slice(0, 200);
  }
}

export async function smoke(base: string, credential: string | undefined): Promise<{ checks: Check[]; next: string[] }> {
  const checks: Check[] = [];
  const next: string[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  const health = await request(`${base}/health`);
  check('GET /health', health.status === 200, `answered ${String(health.status)}`);

  const privacy = await request(`${base}/privacy`);
  const page = await privacy.text();
  check('GET /privacy', privacy.status === 200 && /text\/html/.test(privacy.headers.get('content-type') ?? '') && /privacy/i.test(page), `answered ${String(privacy.status)} ${privacy.headers.get('content-type') ?? ''}`);

  const anonymous = await request(`${base}/account`);
  check('GET /account without a credential', anonymous.status === 401, `answered ${String(anonymous.status)} (401 expected)`);
  const wrong = await request(`${base}/account`, { headers: { authorization: 'Bearer smoke-test-not-the-credential-0123456789' } });
  check('GET /account with a wrong credential', wrong.status === 403, `answered ${String(wrong.status)} (403 expected)`);

  if (credential === undefined || credential === '') {
    next.push(
      'Set OPERATOR_CREDENTIAL to the operator credential (read -rs OPERATOR_CREDENTIAL; export OPERATOR_CREDENTIAL) and run this again: it checks the credential, the secrets and the OAuth start link.',
    );
    return { checks, next };
  }
  const operator = { authorization: `Bearer ${credential}`, 'content-type': 'application/json' };
  const account = await request(`${base}/account`, { headers: operator });
  check('GET /account with the operator credential', account.status === 200, account.status === 200 ? 'answered 200' : `answered ${String(account.status)}: ${await said(account)}`);
  if (account.status === 403) {
    // A loopback address is `npm start`: the local stack's own secrets.
    const local = ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(base).hostname);
    next.push(`The credential was refused: use the one npm run setup printed, or rotate it (npm run operator-credential -- ${local ? '--local' : '--region <region>'}) and use the new one.`);
  }

  const link = await request(`${base}/oauth/start`, { method: 'POST', headers: operator, body: JSON.stringify({ environment: 'sandbox' }) });
  if (link.status !== 201) {
    const message = await said(link);
    check('POST /oauth/start', false, `answered ${String(link.status)}: ${message}`);
    if (/not_configured/.test(message)) next.push(`A secret is missing or empty. ${message.replace(/^not_configured: /, '')}`);
    return { checks, next };
  }
  const { url } = (await link.json()) as { url: string };
  const opened = await request(url);
  const location = opened.headers.get('location') ?? '';
  check('the start link redirects to Pinterest', opened.status === 302 && location !== '', `answered ${String(opened.status)}`);
  if (location === '') return { checks, next };
  const authorize = new URL(location);
  const params = authorize.searchParams;
  const redirectUri = `${base}/oauth/callback`;
  check('redirect_uri is this deployment’s callback', params.get('redirect_uri') === redirectUri, `${params.get('redirect_uri') ?? '(none)'} (expected ${redirectUri})`);
  check('response_type=code, a client id, a state', params.get('response_type') === 'code' && (params.get('client_id') ?? '') !== '' && (params.get('state') ?? '').length >= 16, `client_id ${params.get('client_id') ?? '(none)'}`);
  const scopes = (params.get('scope') ?? '').split(',');
  check('the scopes', SCOPES.every((scope) => scopes.includes(scope)), params.get('scope') ?? '(none)');
  next.push(
    `Register ${redirectUri} exactly in your Pinterest app (My apps → Manage → Configure → Redirect URIs), if not done yet.`,
    'Connect the sandbox account: POST /oauth/start {"environment":"sandbox"}, open the link in the browser signed in to Pinterest, then GET /account and POST /account/confirm.',
  );
  return { checks, next };
}

const USAGE = 'Usage: npm run smoke -- <api url>   (the ApiUrl output of the deploy, or your custom domain)\nOPERATOR_CREDENTIAL in the environment also checks the OAuth start link.';

async function main(): Promise<number> {
  let positionals: string[];
  let help: boolean | undefined;
  try {
    ({ positionals, values: { help } } = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean' } } }));
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  if (help === true) {
    console.log(USAGE);
    return 0;
  }
  const [raw] = positionals;
  if (raw === undefined || positionals.length !== 1 || !/^https?:\/\//.test(raw)) {
    console.error(USAGE);
    return 2;
  }
  const base = raw.replace(/\/+$/, '');
  try {
    const { checks, next } = await smoke(base, process.env.OPERATOR_CREDENTIAL);
    for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    if (next.length > 0) console.log(`\nNext:\n${next.map((line) => `  - ${line}`).join('\n')}`);
    return checks.every((c) => c.ok) ? 0 : 1;
  } catch (error) {
    console.error(`Could not reach ${base}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
