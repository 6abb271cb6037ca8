import { createLogger } from '../../shared/observability/logger';
import { REDACTED, redact, redactString, registerSecretValue } from '../../shared/observability/redact';

/** Captures what the logger writes to stdout and stderr while `fn` runs. */
function captureOutput(fn: () => void): string {
  const chunks: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(record),
    jest.spyOn(process.stderr, 'write').mockImplementation(record),
  ];
  try {
    fn();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return chunks.join('');
}

const sentinels = {
  accessToken: 'pina_SENTINELaccess0123456789',
  refreshToken: 'pinrSENTINELrefresh0123456789',
  clientToken: 'pinc_SENTINELclient0123456789',
  bearer: 'SENTINELbearerOpaque42',
  basic: 'U0VOVElORUxiYXNpYzpzZWNyZXQ=',
  cookie: 'SENTINELcookieNonce42',
  code: 'SENTINELoauthCode42',
  state: 'SENTINELoauthState42',
  ticket: 'SENTINELticket42',
  nonce: 'SENTINELnonce42',
  clientSecret: 'SENTINELclientSecret42',
  operatorCredential: 'SENTINELoperatorCred42',
};

describe('log redaction', () => {
  it('hides every kind of secret the security model lists, by key and by value', () => {
    registerSecretValue(sentinels.clientSecret);
    registerSecretValue(sentinels.operatorCredential);
    const logger = createLogger('redaction-test', 'INFO');
    const output = captureOutput(() => {
      logger.info(`refreshing with ${sentinels.refreshToken} and ${sentinels.accessToken}`);
      logger.info('request', {
        headers: {
          Authorization: `Bearer ${sentinels.bearer}`,
          Cookie: `mdz_oauth=${sentinels.cookie}`,
          'x-api-key': sentinels.operatorCredential,
        },
        multiValueHeaders: { 'set-cookie': [`mdz_oauth=${sentinels.cookie}; HttpOnly`] },
        cookies: [`mdz_oauth=${sentinels.cookie}`],
        url: `https://example.test/oauth/callback?code=${sentinels.code}&state=${sentinels.state}`,
        rawQueryString: `ticket=${sentinels.ticket}`,
      });
      logger.info('token response', {
        body: JSON.stringify({ access_token: sentinels.accessToken, refresh_token: sentinels.refreshToken }),
        tokens: { accessToken: sentinels.accessToken, nested: [{ refresh_token: sentinels.refreshToken }] },
      });
      logger.info('oauth', { code: sentinels.code, state: sentinels.state, nonce: sentinels.nonce, ticket: sentinels.ticket });
      logger.info('client', { clientSecret: sentinels.clientSecret, credential: sentinels.operatorCredential });
      logger.info(`header Basic ${sentinels.basic} sent`);
      logger.info(`app client token ${sentinels.clientToken}`);
      logger.info(`operator typed ${sentinels.operatorCredential} and secret ${sentinels.clientSecret}`);
      logger.error('exchange failed', new Error(`token endpoint said bad grant for code=${sentinels.code}`));
      const failure = Object.assign(new Error('wrapped'), { cause: new Error(`leaked ${sentinels.accessToken}`) });
      logger.error('nested cause', failure);
    });

    for (const [kind, value] of Object.entries(sentinels)) {
      expect({ kind, found: output.includes(value) }).toEqual({ kind, found: false });
    }
    expect(output).toContain(REDACTED);
    // The lines stay structured JSON a log search can use.
    const lines = output.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatchObject({ level: 'INFO', service: 'redaction-test' });
  });

  it('keeps ordinary facts readable, including an error code', () => {
    const error = Object.assign(new Error('Board not found'), { code: 'not_found' });
    expect(redact({ status: 'draft', path: '/pins/1', error })).toMatchObject({
      status: 'draft',
      path: '/pins/1',
      error: { message: 'Board not found', errorCode: 'not_found' },
    });
    expect(redactString('GET /boards?page=2&environment=sandbox')).toBe('GET /boards?page=2&environment=sandbox');
  });

  it('survives circular structures', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    expect(redact(loop)).toEqual({ name: 'loop', self: '[Circular]' });
  });

  it('ignores secret values too short to be told apart from words', () => {
    registerSecretValue('abc');
    expect(redactString('abc def')).toBe('abc def');
  });
});
