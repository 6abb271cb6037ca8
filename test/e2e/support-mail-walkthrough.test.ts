import { mailReceive, referenceIn } from '../support/mail-receive';
import { useLocalStack } from '../support/local-process';
import { stackClient } from '../support/stack-client';

const credential = 'e2e-support-credential-0123456789abcdef';
const fixture = 'test/fixtures/mail/plain.eml';
const requester = 'reader@example.org';
const supportAddress = 'info@ecooffice.net';
/** The local stack's default OPERATOR_NOTIFY_EMAIL (local/stack.ts). */
const operatorAddress = 'operator@publisher.test';

interface StoredMail {
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string };
}

interface TicketSummary {
  reference: string;
  status: string;
  flagged: boolean;
  quarantine?: string[];
  from?: string;
  subject: string;
  verdicts?: Record<string, string>;
  acknowledgement: string;
  replies: number;
  version: number;
}

/**
 * Support mail through `npm start` and `npm run mail:receive`: the script stores a raw message in the
 * stack's S3 and invokes receiveMail through the local Lambda Invoke API with SES's event; the
 * acknowledgement and the operator's notice land in the SES emulator; the operator reads, answers
 * and closes the ticket over HTTP. The same message as spam is quarantined, flagged and not answered.
 */
describe('end to end: a support mail received, answered and closed through the local stack', () => {
  const stack = useLocalStack('mdz-support-', { LOCAL_OPERATOR_CREDENTIAL: credential });
  const { send } = stackClient(stack, credential);

  async function sentMail(): Promise<StoredMail[]> {
    const res = await fetch(`${stack.urls.ses}/store`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { emails: StoredMail[] }).emails;
  }

  async function listed(status?: 'open' | 'closed'): Promise<TicketSummary[]> {
    const res = await send('GET', `/support/tickets${status === undefined ? '' : `?status=${status}`}`);
    expect(res.status).toBe(200);
    return res.json.items as TicketSummary[];
  }

  it('mail:receive makes a ticket and acknowledges it; the operator reads, replies and closes it over HTTP', async () => {
    // 1. The script, as `npm run mail:receive -- test/fixtures/mail/plain.eml`.
    const run = await mailReceive(stack, [fixture]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const reference = referenceIn(run.stdout);
    expect(run.stdout).toMatch(/^stored s3:\/\/mdz-data\/mail\/inbound\/([a-z0-9]{40}) and invoked receiveMail \(SES message id \1\)$/m);
    expect(run.stdout).toContain(`ticket ${reference} (open)\n`);
    expect(run.stdout).toMatch(/^ {2}from: +reader@example\.org +envelope: reader@example\.org$/m);
    expect(run.stdout).toMatch(/^ {2}subject: +Question about my Pins$/m);
    expect(run.stdout).toMatch(/^ {2}raw message: +s3:\/\/mdz-data\/mail\/inbound\/[a-z0-9]{40}$/m);
    expect(run.stdout).toMatch(/^ {2}acknowledgement: sent to reader@example\.org$/m);
    expect(run.stdout).toMatch(/^ {2}operator told: +yes$/m);
    expect(run.stdout).toContain(`Sent mail: the SES emulator at ${stack.urls.ses} (its JSON at /store). The operator API: GET /support/tickets/${reference}.`);

    // 2. The SES emulator holds the acknowledgement and the operator's notice.
    const afterReceive = await sentMail();
    const acknowledgements = afterReceive.filter((m) => m.destination.to.includes(requester));
    expect(acknowledgements).toHaveLength(1);
    expect(acknowledgements[0]).toMatchObject({ from: supportAddress, destination: { to: [requester] }, subject: `Re: Question about my Pins [${reference}]` });
    expect(acknowledgements[0]?.body.text).toContain(`opened support request ${reference}`);
    const notices = afterReceive.filter((m) => m.destination.to.includes(operatorAddress));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.subject).toContain(`New support request ${reference}`);
    expect(notices[0]?.body.text).toContain(`New support request ${reference} from ${requester}.`);
    expect(notices[0]?.body.text).toContain('Acknowledgement: sent.');

    // 3. The operator's side over HTTP: list, read, reply, close.
    const open = await listed();
    expect(open.map((t) => t.reference)).toEqual([reference]);
    expect(open[0]).toMatchObject({
      status: 'open',
      flagged: false,
      from: requester,
      subject: 'Question about my Pins',
      verdicts: { spam: 'PASS', virus: 'PASS', spf: 'PASS', dkim: 'PASS', dmarc: 'PASS' },
      acknowledgement: 'sent',
      replies: 0,
    });

    const detail = await send('GET', `/support/tickets/${reference}`);
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({
      raw: 'read',
      headers: {
        from: 'Reader Example <reader@example.org>',
        to: supportAddress,
        subject: 'Question about my Pins',
        'message-id': '<plain-1@example.org>',
      },
      text: 'Hello,\n\nhow do I connect my account? Thanks 🙂\n',
      textTruncated: false,
      replyTo: { address: requester, authenticated: true },
      ticket: { reference, status: 'open', flagged: false, acknowledgement: { state: 'sent', to: requester } },
    });
    const version = (detail.json.ticket as { version: number }).version;
    expect(version).toEqual(open[0]?.version);

    const message = 'Hello again,\n\nopen the account page and choose Connect. Mira';
    const replied = await send('POST', `/support/tickets/${reference}/reply`, { version, message });
    expect(replied.status).toBe(200);
    expect(replied.json).toMatchObject({ reference, status: 'open' });
    expect(replied.json.replies).toEqual([
      expect.objectContaining({ to: requester, subject: `Re: Question about my Pins [${reference}]`, text: message, state: 'sent', messageId: expect.stringMatching(/^<.+@ecooffice\.net>$/) }),
    ]);
    // The operator's version is the one that counts: the same reply at the old version is refused.
    const stale = await send('POST', `/support/tickets/${reference}/reply`, { version, message });
    expect(stale.status).toBe(409);

    const replies = (await sentMail()).filter((m) => m.destination.to.includes(requester) && m.body.text?.includes('choose Connect') === true);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ from: supportAddress, destination: { to: [requester] }, subject: `Re: Question about my Pins [${reference}]` });
    expect(replies[0]?.body.text?.trim()).toBe(message);

    const closed = await send('POST', `/support/tickets/${reference}/close`);
    expect(closed.status).toBe(200);
    expect(closed.json).toMatchObject({ reference, status: 'closed', closedAt: expect.any(String) });
    expect((await listed('closed')).map((t) => [t.reference, t.status, t.replies])).toEqual([[reference, 'closed', 1]]);
    expect(await listed('open')).toEqual([]);

    // 4. The same message again as spam: quarantined, flagged, never answered; the operator is told.
    const spam = await mailReceive(stack, [fixture, '--spam', 'FAIL']);
    expect(spam).toMatchObject({ code: 0, stderr: '' });
    const flaggedReference = referenceIn(spam.stdout);
    expect(flaggedReference).not.toBe(reference);
    expect(spam.stdout).toContain(`ticket ${flaggedReference} (open, quarantined: spam)\n`);
    expect(spam.stdout).toMatch(/^ {2}raw message: +s3:\/\/mdz-data\/mail\/quarantine\/[a-z0-9]{40}$/m);
    expect(spam.stdout).toMatch(/^ {2}acknowledgement: skipped \(quarantined\)$/m);
    expect(spam.stdout).toMatch(/^ {2}operator told: +yes$/m);

    const flagged = await listed('open');
    expect(flagged.map((t) => t.reference)).toEqual([flaggedReference]);
    expect(flagged[0]).toMatchObject({ status: 'open', flagged: true, quarantine: ['spam'], verdicts: { spam: 'FAIL' }, acknowledgement: 'skipped' });
    const refused = await send('POST', `/support/tickets/${flaggedReference}/reply`, { version: flagged[0]?.version, message: 'Never sent.' });
    expect(refused.status).toBe(409);

    const afterSpam = await sentMail();
    expect(afterSpam.filter((m) => m.destination.to.includes(requester))).toHaveLength(2);
    const quarantineNotices = afterSpam.filter((m) => m.destination.to.includes(operatorAddress) && m.subject.includes(flaggedReference));
    expect(quarantineNotices).toHaveLength(1);
    expect(quarantineNotices[0]?.subject).toContain(`Quarantined mail ${flaggedReference}`);
    expect(quarantineNotices[0]?.body.text).toContain('Quarantined for: spam (not answered).');
  }, 90_000);

  it('mail:receive exits 2 with a clear message for a file it cannot read and for a verdict it does not know', async () => {
    const before = (await listed('open')).length + (await listed('closed')).length;

    const missing = await mailReceive(stack, ['test/fixtures/mail/no-such-message.eml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe('Cannot read test/fixtures/mail/no-such-message.eml: no such file');
    expect(missing.stdout).toBe('');

    const maybe = await mailReceive(stack, [fixture, '--spam', 'MAYBE']);
    expect(maybe.code).toBe(2);
    expect(maybe.stderr.trim()).toBe('--spam must be one of PASS, FAIL, GRAY, PROCESSING_FAILED');
    expect(maybe.stdout).toBe('');

    // Neither reached the stack.
    expect((await listed('open')).length + (await listed('closed')).length).toBe(before);
  }, 60_000);

  // node:util parseArgs' own errors (an unknown option, an option without its value) are usage errors
  // too: exit 2 with the usage line, never 1 (the code for "the stack failed").
  it('mail:receive exits 2 for an unknown option and for an option without its value, as for its other usage errors', async () => {
    const unknown = await mailReceive(stack, [fixture, '--spamm', 'FAIL']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--spamm'");
    expect(unknown.stderr).toContain('usage: npm run mail:receive');
    const noValue = await mailReceive(stack, [fixture, '--spam']);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain('--spam');
  }, 60_000);
});
