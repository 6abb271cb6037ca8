import PostalMime from 'postal-mime';
import type { HeaderMap } from '../domain/mail-rules';

/**
 * Raw inbound MIME → what a ticket needs, with postal-mime (small, dependency-free; mailparser was
 * measured about ten times larger in a bundle). Never throws: a truncated or garbage object gives what
 * could be read and says so in `problem`, so a message is never lost to a parse error.
 */

export interface ParsedMail {
  /** Set when the message could not be read in full. */
  problem?: string;
  messageId?: string;
  from?: { address: string; name: string };
  subject?: string;
  date?: string;
  /** The text body, or the HTML body reduced to text when there is no text part. */
  text: string;
  attachments: Array<{ filename: string; contentType: string; size: number }>;
  /** Lower-cased header names, first value of each. */
  headers: HeaderMap;
  inReplyTo?: string;
  references?: string;
}

/** HTML to readable text: scripts and styles dropped, tags removed, common entities decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(p|div|li|tr|h[1-6])\s*>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/gi, ' ')
    .replace(/&lt;/gi, '<')
    .replace(/&gt;/gi, '>')
    .replace(/&quot;/gi, '"')
    .replace(/&#39;|&apos;/gi, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/gi, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function sizeOf(content: ArrayBuffer | Uint8Array | string): number {
  if (typeof content === 'string') return Buffer.byteLength(content, 'utf8');
  return content.byteLength;
}

/** A multipart message whose outer closing boundary (`--boundary--`) never comes was cut short. */
function truncatedMultipart(raw: Buffer, contentType: string | undefined): boolean {
  if (contentType === undefined || !/^multipart\//i.test(contentType.trim())) return false;
  const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const value = boundary?.[1] ?? boundary?.[2];
  if (value === undefined) return false;
  return !raw.includes(`--${value}--`, 0, 'latin1');
}

/**
 * A Message-ID as RFC 5322 writes it (`<left@right>`, no spaces or angle brackets inside), or nothing:
 * the parser decodes encoded words even here, and a value that decodes to a line break must never
 * reach a ticket (it would be refused as In-Reply-To of every mail about it).
 */
export function messageIdOf(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed !== undefined && /^<[^\s<>]{1,900}>$/.test(trimmed) ? trimmed : undefined;
}

export async function parseMail(raw: Buffer): Promise<ParsedMail> {
  if (raw.length === 0) return { problem: 'the message is empty', text: '', attachments: [], headers: {} };
  try {
    const email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
    const headers: Record<string, string> = {};
    for (const header of email.headers) if (!(header.key in headers)) headers[header.key] = header.value;
    const from = email.from !== undefined && email.from.address !== undefined ? { address: email.from.address, name: email.from.name } : undefined;
    const text = email.text ?? (email.html === undefined ? '' : htmlToText(email.html));
    const parsed: ParsedMail = {
      text,
      attachments: email.attachments.map((a) => ({ filename: a.filename ?? '(unnamed)', contentType: a.mimeType, size: sizeOf(a.content) })),
      headers,
      ...(messageIdOf(email.messageId) === undefined ? {} : { messageId: messageIdOf(email.messageId) }),
      ...(from === undefined ? {} : { from }),
      ...(email.subject === undefined ? {} : { subject: email.subject }),
      ...(email.date === undefined ? {} : { date: email.date }),
      ...(email.inReplyTo === undefined ? {} : { inReplyTo: email.inReplyTo }),
      ...(email.references === undefined ? {} : { references: email.references }),
    };
    if (email.headers.length === 0) parsed.problem = 'no headers could be read: the object may be truncated or not a mail message';
    else if (truncatedMultipart(raw, headers['content-type'])) parsed.problem = 'the message seems truncated: its last MIME part has no closing boundary';
    else if (from === undefined) parsed.problem = 'the message has no readable From address';
    return parsed;
  } catch (error) {
    return { problem: `the message could not be parsed (${error instanceof Error ? error.name : 'error'})`, text: '', attachments: [], headers: {} };
  }
}
