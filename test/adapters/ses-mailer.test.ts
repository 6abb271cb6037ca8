import { simpleParser } from 'mailparser';
import { MARKER_HEADER, SesMailer } from '../../shared/adapters/ses-mailer';
import { ValidationError } from '../../shared/domain/errors';
import { isOurMailMarker } from '../../shared/domain/keyed-hash';
import { FakeClock } from '../support/fake-clock';
import { clients, names, uniquePrefix } from '../support/aws';

interface StoredMail {
  from: string;
  replyTo: string[];
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

async function sentMail(subject: string): Promise<StoredMail[]> {
  const res = await fetch(`${names.sesUrl}/store`);
  const store = (await res.json()) as { emails: StoredMail[] };
  return store.emails.filter((m) => m.subject === subject);
}

describe('SesMailer against aws-ses-v2-local', () => {
  const key = Buffer.alloc(32, 7);
  const mailer = new SesMailer(clients.ses, 'info@ecooffice.net', () => Promise.resolve(key), new FakeClock('2026-07-01T09:00:00Z'));

  it('sends a raw message from the verified identity that SES accepts', async () => {
    const subject = `Ticket received ${uniquePrefix('s')}`;
    const sent = await mailer.send({
      to: ['reader@example.test'],
      subject,
      text: 'We received your message. Ünïcode survives.',
      autoSubmitted: 'auto-replied',
      replyTo: 'submitter@example.test',
    });
    expect(sent.sesMessageId).toEqual(expect.any(String));
    const [stored] = await sentMail(subject);
    expect(stored?.from).toBe('info@ecooffice.net');
    expect(stored?.destination.to).toEqual(['reader@example.test']);
    expect(stored?.replyTo).toEqual(['submitter@example.test']);
    expect(stored?.body.text?.trim()).toBe('We received your message. Ünïcode survives.');
  });

  it('marks every message Auto-Submitted with a marker only our key can make for its Message-ID', async () => {
    const { raw, messageId } = await mailer.compose({
      to: ['operator@example.test'],
      subject: 'Notice',
      text: 'Access was revoked.',
      autoSubmitted: 'auto-generated',
    });
    const parsed = await simpleParser(raw);
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');
    expect(parsed.messageId).toBe(messageId);
    const header = parsed.headers.get(MARKER_HEADER.toLowerCase());
    if (typeof header !== 'string') throw new Error('marker header missing');
    expect(isOurMailMarker(key, messageId, header)).toBe(true);
    expect(isOurMailMarker(Buffer.alloc(32, 8), messageId, header)).toBe(false);
    expect(isOurMailMarker(key, '<other@ecooffice.net>', header)).toBe(false);
  });

  it.each([
    ['subject', { subject: 'Hello\r\nBcc: victim@example.test' }],
    ['reply-to', { replyTo: 'a@example.test\nBcc: victim@example.test' }],
    ['recipient', { to: ['a@example.test\r\nX-Evil: 1'] }],
  ])('refuses a line break in the %s and sends nothing', async (_field, override) => {
    const subject = `Injected ${uniquePrefix('i')}`;
    await expect(
      mailer.send({ to: ['reader@example.test'], subject, text: 'body', autoSubmitted: 'auto-replied', ...override }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await sentMail(subject)).toEqual([]);
  });
});
