import { acknowledgementFor, plainAddress, quarantineReasons, snippetOf, ticketReference, verdictsOf, type Verdicts } from '../../shared/domain/mail-rules';

const pass: Verdicts = { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' };
const base = { verdicts: pass, quarantined: false, ours: false, envelopeFrom: 'reader@example.org', fromAddress: 'reader@example.org', headers: {} };

describe('SES verdicts', () => {
  it('reads each verdict of a receipt, case-insensitively, unknown values as UNKNOWN', () => {
    expect(
      verdictsOf({ spamVerdict: { status: 'PASS' }, virusVerdict: { status: 'fail' }, spfVerdict: { status: 'GRAY' }, dkimVerdict: { status: 'PROCESSING_FAILED' }, dmarcVerdict: { status: 'odd' }, dmarcPolicy: 'REJECT' }),
    ).toEqual({ spam: 'PASS', virus: 'FAIL', spf: 'GRAY', dkim: 'PROCESSING_FAILED', dmarc: 'UNKNOWN', dmarcPolicy: 'reject' });
    expect(verdictsOf({})).toEqual({ spam: 'UNKNOWN', virus: 'UNKNOWN', spf: 'UNKNOWN', dkim: 'UNKNOWN', dmarc: 'UNKNOWN' });
  });

  it.each<[string, Partial<Verdicts>, string[]]>([
    ['all passing', {}, []],
    ['spam FAIL', { spam: 'FAIL' }, ['spam']],
    ['virus FAIL', { virus: 'FAIL' }, ['virus']],
    ['DMARC FAIL under reject', { dmarc: 'FAIL', dmarcPolicy: 'reject' }, ['dmarc_reject']],
    ['DMARC FAIL under none (noted, not quarantined)', { dmarc: 'FAIL', dmarcPolicy: 'none' }, []],
    ['DMARC FAIL under quarantine (noted)', { dmarc: 'FAIL', dmarcPolicy: 'quarantine' }, []],
    ['spam GRAY', { spam: 'GRAY' }, []],
    ['spam and virus', { spam: 'FAIL', virus: 'FAIL' }, ['spam', 'virus']],
  ])('quarantine: %s', (_, change, reasons) => {
    expect(quarantineReasons({ ...pass, ...change })).toEqual(reasons);
  });
});

describe('acknowledgements: only when answering is safe', () => {
  it('SPF passed: to the envelope sender', () => {
    expect(acknowledgementFor(base)).toEqual({ send: true, to: 'reader@example.org', via: 'envelope' });
  });

  it('SPF passed with a forged From: to the envelope sender only', () => {
    expect(acknowledgementFor({ ...base, envelopeFrom: '<bounces@mailer.example.org>', fromAddress: 'victim@elsewhere.test', verdicts: { ...pass, dmarc: 'FAIL' } })).toEqual({
      send: true,
      to: 'bounces@mailer.example.org',
      via: 'envelope',
    });
  });

  it('SPF not passing but DMARC passed: to the From address', () => {
    expect(acknowledgementFor({ ...base, envelopeFrom: 'relay@forwarder.test', fromAddress: 'Reader@Example.org', verdicts: { ...pass, spf: 'FAIL' } })).toEqual({ send: true, to: 'reader@example.org', via: 'from' });
  });

  it('SPF and DKIM failing (and so DMARC): never', () => {
    expect(acknowledgementFor({ ...base, verdicts: { ...pass, spf: 'FAIL', dkim: 'FAIL', dmarc: 'FAIL', dmarcPolicy: 'none' } })).toEqual({ send: false, reason: 'unauthenticated' });
    expect(acknowledgementFor({ ...base, verdicts: { ...pass, spf: 'GRAY', dmarc: 'GRAY' } })).toEqual({ send: false, reason: 'unauthenticated' });
  });

  it.each<[string, Partial<Parameters<typeof acknowledgementFor>[0]>, string]>([
    ['quarantined', { quarantined: true }, 'quarantined'],
    ['our own mail', { ours: true }, 'ours'],
    ['an empty envelope sender (a bounce)', { envelopeFrom: '' }, 'bounce'],
    ['<> as envelope sender', { envelopeFrom: '<>' }, 'bounce'],
    ['MAILER-DAEMON', { envelopeFrom: 'MAILER-DAEMON@mx.example.org' }, 'bounce'],
    ['postmaster', { envelopeFrom: 'postmaster@example.org' }, 'bounce'],
    ['Auto-Submitted: auto-replied', { headers: { 'auto-submitted': 'auto-replied' } }, 'auto_submitted'],
    ['Auto-Submitted: auto-generated', { headers: { 'auto-submitted': 'Auto-Generated; owner-email="x@y"' } }, 'auto_submitted'],
    ['Precedence: bulk', { headers: { precedence: 'bulk' } }, 'bulk'],
    ['Precedence: list', { headers: { precedence: 'List' } }, 'bulk'],
    ['Precedence: junk', { headers: { precedence: 'junk' } }, 'bulk'],
    ['List-Id', { headers: { 'list-id': '<news.example.org>' } }, 'mailing_list'],
    ['List-Unsubscribe', { headers: { 'list-unsubscribe': '<mailto:u@example.org>' } }, 'mailing_list'],
  ])('never to %s', (_, change, reason) => {
    expect(acknowledgementFor({ ...base, ...change })).toEqual({ send: false, reason });
  });

  it('Auto-Submitted: no is a person: answered', () => {
    expect(acknowledgementFor({ ...base, headers: { 'auto-submitted': 'no' } })).toMatchObject({ send: true });
  });

  it('an address that is not a single plain address is never used', () => {
    expect(acknowledgementFor({ ...base, envelopeFrom: 'a@b.test, c@d.test' })).toEqual({ send: false, reason: 'no_address' });
    expect(plainAddress('reader@example.org\r\nBcc: x@y.test')).toBeUndefined();
    expect(plainAddress(`${'a'.repeat(250)}@b.test`)).toBeUndefined();
  });
});

describe('ticket references and snippets', () => {
  it('a reference is stable for a message id and differs between ids', () => {
    expect(ticketReference('0000014a-f4d4-4f2d-abcd-1234567890ab')).toBe(ticketReference('0000014a-f4d4-4f2d-abcd-1234567890ab'));
    expect(ticketReference('a')).not.toBe(ticketReference('b'));
    expect(ticketReference('a')).toMatch(/^MDZ-[A-HJ-NP-Z2-9]{10}$/);
  });

  it('a snippet folds whitespace and is bounded in characters', () => {
    expect(snippetOf('  Hello\n\n  there\t🙂 ')).toBe('Hello there 🙂');
    const long = snippetOf('🧘'.repeat(600), 500);
    expect(Array.from(long)).toHaveLength(500);
    expect(long.endsWith('…')).toBe(true);
    expect(snippetOf(undefined)).toBe('');
  });
});
