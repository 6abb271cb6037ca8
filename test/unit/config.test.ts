import { ConfigError } from '../../shared/domain/errors';
import { loadSettings, requireBinding } from '../../shared/config';

const minimal = {
  PUBLIC_BASE_URL: 'https://publisher.example.test/',
  OPERATOR_NOTIFY_EMAIL: 'operator@example.test',
  SENDER_EMAIL: 'info@ecooffice.net',
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('settings', () => {
  it('fills documented defaults and trims the base URL', () => {
    const s = loadSettings(minimal);
    expect(s.PUBLIC_BASE_URL).toBe('https://publisher.example.test');
    expect(s.PINTEREST_AUTHORIZE_URL).toBe('https://www.pinterest.com/oauth/');
    expect(s.PINTEREST_API_BASE_SANDBOX).toBe('https://api-sandbox.pinterest.com/v5');
    expect(s.PINTEREST_API_BASE_PRODUCTION).toBe('https://api.pinterest.com/v5');
    expect(s.PINTEREST_ACCESS_TIER).toBe('trial');
    expect(s.PINTEREST_EXPECTED_ACCOUNT_ID).toBeUndefined();
    expect(s.SUPPORT_EMAIL).toBe('info@ecooffice.net');
    expect(s.RETENTION_SECURITY_LOG_DAYS).toBe(90);
    expect(s.RETENTION_COMPLIANCE_DAYS).toBe(1095);
  });

  it('fails fast naming each missing variable', () => {
    const error = configError(() => loadSettings({ SENDER_EMAIL: 'info@ecooffice.net' }));
    expect(error.variables.sort()).toEqual(['OPERATOR_NOTIFY_EMAIL', 'PUBLIC_BASE_URL']);
    expect(error.message).toContain('PUBLIC_BASE_URL is required');
    expect(error.message).toContain('OPERATOR_NOTIFY_EMAIL is required');
  });

  it('treats an empty value as missing', () => {
    const error = configError(() => loadSettings({ ...minimal, PUBLIC_BASE_URL: '' }));
    expect(error.variables).toEqual(['PUBLIC_BASE_URL']);
  });

  it('rejects invalid values with the variable name and the reason', () => {
    const error = configError(() =>
      loadSettings({
        ...minimal,
        PINTEREST_ACCESS_TIER: 'gold',
        PINTEREST_EXPECTED_ACCOUNT_ID: 'someone',
        PINTEREST_API_BASE_SANDBOX: 'ftp://nope',
        RETENTION_OAUTH_STATE_MINUTES: '30',
      }),
    );
    expect(error.variables.sort()).toEqual([
      'PINTEREST_ACCESS_TIER',
      'PINTEREST_API_BASE_SANDBOX',
      'PINTEREST_EXPECTED_ACCOUNT_ID',
      'RETENTION_OAUTH_STATE_MINUTES',
    ]);
    expect(error.message).toContain('must be a numeric Pinterest account id');
    expect(error.message).toContain('must be at most 10 minutes');
  });

  it.each(['PINTEREST_AUTHORIZE_URL', 'PINTEREST_API_BASE_SANDBOX', 'PINTEREST_API_BASE_PRODUCTION', 'PUBLIC_BASE_URL'])(
    'refuses a plain-http %s outside loopback, so no secret or token can travel in clear',
    (variable) => {
      for (const value of ['http://api.pinterest.com/v5', 'http://10.0.0.5:8091/v5', 'http://example.com']) {
        const error = configError(() => loadSettings({ ...minimal, [variable]: value }));
        expect(error.variables).toEqual([variable]);
        expect(error.message).toContain('must be an https URL');
      }
      for (const value of ['http://127.0.0.1:8091/v5', 'http://localhost:8091/v5', 'http://[::1]:8091/v5', 'https://api.pinterest.com/v5']) {
        expect(() => loadSettings({ ...minimal, [variable]: value })).not.toThrow();
      }
    },
  );

  it('names a missing resource binding', () => {
    expect(() => requireBinding('WORKFLOW_TABLE', {})).toThrow('WORKFLOW_TABLE is required');
    expect(requireBinding('WORKFLOW_TABLE', { WORKFLOW_TABLE: 'wf' })).toBe('wf');
  });
});
