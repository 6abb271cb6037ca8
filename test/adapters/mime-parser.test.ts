import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { htmlToText, parseMail } from '../../shared/adapters/mime-parser';

const fixture = (name: string) => readFileSync(join(__dirname, '..', 'fixtures', 'mail', name));

describe('parseMail: raw MIME to what a ticket needs', () => {
  it('a plain UTF-8 message: headers, sender, subject, text', async () => {
    const mail = await parseMail(fixture('plain.eml'));
    expect(mail).toMatchObject({
      messageId: '<plain-1@example.org>',
      from: { address: 'reader@example.org', name: 'Reader Example' },
      subject: 'Question about my Pins',
      attachments: [],
    });
    expect(mail.text).toContain('how do I connect my account? Thanks 🙂');
    expect(mail.headers['return-path']).toBe('<reader@example.org>');
    expect(mail.problem).toBeUndefined();
  });

  it('multipart with an attachment, an ISO-8859-1 encoded-word subject and sender name, a quoted-printable Latin-1 body', async () => {
    const mail = await parseMail(fixture('latin1-attachment.eml'));
    expect(mail.subject).toBe('Frage zu meinem Könto');
    expect(mail.from).toEqual({ address: 'renee@example.de', name: 'Renée Müller' });
    expect(mail.text.trim()).toBe('Grüße aus Köln');
    expect(mail.attachments).toEqual([{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 54 }]);
  });

  it('an HTML-only body becomes text: no script, no style, entities decoded', async () => {
    const mail = await parseMail(fixture('html-only.eml'));
    expect(mail.text).toContain('Hello & welcome');
    expect(mail.text).toContain('Line two');
    expect(mail.text).not.toContain('alert');
    expect(mail.text).not.toContain('color');
  });

  it('a truncated message: what could be read, never a throw', async () => {
    const mail = await parseMail(fixture('truncated.eml'));
    expect(mail.from?.address).toBe('broken@example.org');
    expect(mail.subject).toBe('cut');
    expect(mail.text).toContain('The message stops he');
  });

  it('garbage bytes and an empty object: a problem said, never a throw', async () => {
    const garbage = Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 73 + 11) % 256));
    const parsed = await parseMail(garbage);
    expect(parsed.problem).toEqual(expect.any(String));
    expect(parsed.attachments).toEqual([]);
    await expect(parseMail(Buffer.alloc(0))).resolves.toEqual({ problem: 'the message is empty', text: '', attachments: [], headers: {} });
  });

  it('htmlToText keeps line breaks of blocks and decodes numeric entities', () => {
    expect(htmlToText('<p>One</p><p>Two&#33;</p>')).toBe('One\nTwo!');
  });
});
