/**
 * `npm run mail:receive -- message.eml [--spam FAIL] [--virus FAIL] [--spf FAIL] [--dkim FAIL]
 * [--dmarc FAIL --dmarc-policy reject] [--envelope-from <address>] [--to <address>] [--message-id <id>]`
 *
 * Local mode's stand-in for SES receiving: does what a receipt rule does in AWS — its S3 action stores
 * the raw message under `mail/inbound/<SES message id>` in the local bucket, its Lambda action invokes
 * the inbound function asynchronously (Lambda's Invoke API, `InvocationType: Event`, which the local
 * API serves) with SES's event — then waits for the ticket and prints it. Verdicts are PASS unless
 * given; the envelope sender is the message's From unless given. Needs `npm start` running.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { parseMail } from '../shared/adapters/mime-parser';
import { MARKER_HEADER } from '../shared/adapters/ses-mailer';
import { ticketReference } from '../shared/domain/mail-rules';
import { ticketSchema, type Ticket } from '../shared/domain/tickets';
import { localResources, parseLocalEnv } from '../local/stack';
import { newSesMessageId, sesEvent, type VerdictName } from '../local/ses-event';
import { localStackUnreachable } from './local-stack';

const verdictNames: readonly VerdictName[] = ['spam', 'virus', 'spf', 'dkim', 'dmarc'];
const verdictValues = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED'];
const usage =
  'usage: npm run mail:receive -- message.eml [--spam FAIL] [--virus FAIL] [--spf FAIL] [--dkim FAIL] [--dmarc FAIL --dmarc-policy reject] [--envelope-from address] [--to address] [--message-id id]';

class UsageError extends Error {}

interface Options {
  file: string;
  verdicts: Partial<Record<VerdictName, string>>;
  dmarcPolicy?: string;
  envelopeFrom?: string;
  to?: string;
  messageId: string;
}

function readOptions(argv: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        spam: { type: 'string' },
        virus: { type: 'string' },
        spf: { type: 'string' },
        dkim: { type: 'string' },
        dmarc: { type: 'string' },
        'dmarc-policy': { type: 'string' },
        'envelope-from': { type: 'string' },
        to: { type: 'string' },
        'message-id': { type: 'string' },
      },
    });
  } catch (error) {
    // An unknown option, or one without its value.
    throw new UsageError(`${error instanceof Error ? error.message : 'bad options'}\n${usage}`);
  }
  const { values, positionals } = parsed;
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) throw new UsageError(usage);
  const verdicts: Partial<Record<VerdictName, string>> = {};
  for (const name of verdictNames) {
    const value = values[name]?.toUpperCase();
    if (value === undefined) continue;
    if (!verdictValues.includes(value)) throw new UsageError(`--${name} must be one of ${verdictValues.join(', ')}`);
    verdicts[name] = value;
  }
  const policy = values['dmarc-policy']?.toLowerCase();
  if (policy !== undefined && !['none', 'quarantine', 'reject'].includes(policy)) throw new UsageError('--dmarc-policy must be none, quarantine or reject');
  const messageId = values['message-id'] ?? newSesMessageId();
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(messageId)) throw new UsageError('--message-id may hold only letters, digits, dots, hyphens and underscores');
  return {
    file,
    verdicts,
    messageId,
    ...(policy === undefined ? {} : { dmarcPolicy: policy }),
    ...(values['envelope-from'] === undefined ? {} : { envelopeFrom: values['envelope-from'] }),
    ...(values.to === undefined ? {} : { to: values.to }),
  };
}

function summaryOf(ticket: Ticket): string {
  const ack = ticket.acknowledgement;
  return [
    `ticket ${ticket.reference} (${ticket.status}${ticket.flagged ? `, quarantined: ${(ticket.quarantine ?? []).join(', ')}` : ''})`,
    `  from:            ${ticket.from?.address ?? '(none)'}   envelope: ${ticket.envelopeFrom ?? '(none)'}`,
    `  subject:         ${ticket.subject}`,
    `  raw message:     s3://${localResources.bucket}/${ticket.s3Key ?? '(none)'}`,
    `  acknowledgement: ${ack.state}${ack.to === undefined ? '' : ` to ${ack.to}`}${ack.reason === undefined ? '' : ` (${ack.reason})`}`,
    `  operator told:   ${ticket.ours === true ? 'no (our own mail, kept)' : ticket.operatorNotifiedAt === undefined ? 'not yet' : 'yes'}`,
    ...(ticket.problem === undefined ? [] : [`  problem:         ${ticket.problem}`]),
  ].join('\n');
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const options = readOptions(process.argv.slice(2));
  let raw: Buffer;
  try {
    raw = readFileSync(options.file);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : 'unreadable';
    throw new UsageError(`Cannot read ${options.file}: ${why}`);
  }
  const local = parseLocalEnv();
  const parsed = await parseMail(raw);
  const envelopeFrom = options.envelopeFrom ?? parsed.from?.address ?? '';
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const region = 'us-east-1';
  const s3 = new S3Client({ region, credentials, endpoint: `http://127.0.0.1:${String(local.S3_PORT)}`, forcePathStyle: true });
  const lambda = new LambdaClient({ region, credentials, endpoint: `http://127.0.0.1:${String(local.PORT)}` });
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region, credentials, endpoint: `http://127.0.0.1:${String(local.DYNAMODB_PORT)}` }));

  const event = sesEvent({
    messageId: options.messageId,
    timestamp: new Date().toISOString(),
    source: envelopeFrom,
    verdicts: options.verdicts,
    ...(options.dmarcPolicy === undefined ? {} : { dmarcPolicy: options.dmarcPolicy }),
    recipients: [options.to ?? process.env.SUPPORT_EMAIL ?? 'info@ecooffice.net'],
    ...(parsed.from === undefined ? {} : { from: parsed.from.name === '' ? parsed.from.address : `${parsed.from.name} <${parsed.from.address}>` }),
    subject: parsed.subject ?? '(no subject)',
    ...(parsed.messageId === undefined ? {} : { messageIdHeader: parsed.messageId }),
    functionArn: 'arn:aws:lambda:local:000000000000:function:receiveMail',
  });
  const key = `mail/inbound/${options.messageId}`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: localResources.bucket, Key: key, Body: raw, ContentType: 'message/rfc822' }));
  } catch (error) {
    throw new Error(localStackUnreachable(error, 'S3_PORT', String(local.S3_PORT)) ?? `Could not store the message: ${error instanceof Error ? error.message : 'unknown error'}`, { cause: error });
  }
  try {
    await lambda.send(new InvokeCommand({ FunctionName: 'receiveMail', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }));
  } catch (error) {
    throw new Error(localStackUnreachable(error, 'PORT', String(local.PORT)) ?? `Could not invoke receiveMail: ${error instanceof Error ? error.message : 'unknown error'}`, { cause: error });
  }
  console.log(`stored s3://${localResources.bucket}/${key} and invoked receiveMail (SES message id ${options.messageId})`);

  const reference = ticketReference(options.messageId);
  const ours = parsed.headers[MARKER_HEADER.toLowerCase()] !== undefined;
  const deadline = Date.now() + (ours ? 3_000 : 15_000);
  let ticket: Ticket | undefined;
  while (Date.now() < deadline) {
    const { Item } = await dynamo.send(new GetCommand({ TableName: localResources.tables.workflow, Key: { pk: `TICKET#${reference}`, sk: 'TICKET' }, ConsistentRead: true }));
    ticket = Item === undefined ? undefined : ticketSchema.parse(Item);
    // Done: acknowledged or not, and the operator told (our own mail kept as a ticket tells no one).
    if (ticket !== undefined && !['pending', 'sending'].includes(ticket.acknowledgement.state) && (ticket.operatorNotifiedAt !== undefined || ticket.ours === true)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (ticket === undefined) {
    console.log(
      ours
        ? `no ticket: the message carries our ${MARKER_HEADER} header; when it is valid the message is linked to the ticket it belongs to (see that ticket's "returned").`
        : 'no ticket yet: see the npm start log for what receiveMail said.',
    );
    if (!ours) process.exitCode = 1;
    return;
  }
  console.log(summaryOf(ticket));
  console.log(`Sent mail: the SES emulator at http://127.0.0.1:${String(local.SES_PORT)} (its JSON at /store). The operator API: GET /support/tickets/${reference}.`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : 'mail:receive failed');
  process.exit(error instanceof UsageError ? 2 : 1);
});
