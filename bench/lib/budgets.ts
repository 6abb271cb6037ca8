import type { FunctionId } from '../../shared/routes';

/**
 * Size budgets per function bundle (bytes; sizes and counts only, never times: the machine is
 * shared). Every function gets the defaults; one that truly needs more gets its own entry here with
 * the reason and the lighter alternatives measured first.
 */
export const defaultBudget = { ownBytes: 60 * 1024, otherThirdPartyBytes: 120 * 1024 };

/**
 * Functions that call Pinterest through the token source carry the lifecycle (refresh, revocation,
 * operator notices: about 20 KiB of our own code) and the MIME composer, because a revocation found in
 * the middle of a call is mailed at once. The lighter alternative measured: leaving the mail to the
 * refresh schedule (an asynchronous invocation) would save the composer's 127.7 KiB but delay or
 * complicate the notices that only a call can detect (a refresh answer lost after rotation).
 */
const tokenSourceBudget = {
  ownBytes: 72 * 1024,
  otherThirdPartyBytes: 200 * 1024,
  reason: 'calls Pinterest through the token source, which may mail the operator (nodemailer 127.7 KiB) and brings the token lifecycle (~20 KiB own code)',
};

/**
 * The functions that reconcile Pins (check, resolve, the sweeper and the reconcile schedule) carry the
 * token source and the reconciliation rules: the scan, the field comparison and the scan report.
 */
const reconcileBudget = {
  ...tokenSourceBudget,
  ownBytes: 84 * 1024,
  reason: `${tokenSourceBudget.reason}; and the reconciliation rules (scan, comparison, report; about 8 KiB)`,
};

/** postal-mime: the MIME parser, chosen over mailparser, which measured about ten times larger bundled. */
const mimeParserReason =
  'reads raw MIME with postal-mime (77.5 KiB, no dependencies); mailparser, the other maintained parser, measured about ten times larger bundled, and a parser written by hand would have to get charsets, encoded words and multipart right';

export const budgetOverrides: Partial<Record<FunctionId, { ownBytes?: number; otherThirdPartyBytes?: number; reason: string }>> = {
  receiveMail: {
    otherThirdPartyBytes: 280 * 1024,
    reason: `${mimeParserReason}; and sends the acknowledgement and the operator's notice with nodemailer's MailComposer (127.7 KiB: raw MIME is the only way to carry Auto-Submitted, In-Reply-To and our marker). Runs asynchronously, off the request path`,
  },
  getTicket: { otherThirdPartyBytes: 150 * 1024, reason: `shows the message's headers and whole text: ${mimeParserReason}` },
  replyTicket: {
    otherThirdPartyBytes: 200 * 1024,
    reason: "sends the operator's reply with nodemailer's MailComposer (127.7 KiB): raw MIME is the only way to carry In-Reply-To, References and our marker",
  },
  submitSupportRequest: {
    otherThirdPartyBytes: 200 * 1024,
    reason: "forwards the request to the support address with nodemailer's MailComposer (127.7 KiB): raw MIME is the only way to carry our marker, which keeps the copy arriving back from becoming a second ticket",
  },
  updatePin: {
    ownBytes: 62 * 1024,
    reason:
      "edits a draft: every Pin field's rules and the image checks (shared/http/pin-input.ts, ~10 KiB) on top of the code every function shares; it reached the default 60 KiB when the shared wiring learned to say what to run for a missing or deleted hashing key",
  },
  getBoardSections: tokenSourceBudget,
  createBoard: tokenSourceBudget,
  syncBoards: tokenSourceBudget,
  checkPin: reconcileBudget,
  resolvePin: reconcileBudget,
  reconcilePins: reconcileBudget,
  sweepPublishing: {
    ...reconcileBudget,
    otherThirdPartyBytes: 216 * 1024,
    reason: `${reconcileBudget.reason}; and Powertools Metrics (10.5 KiB) for the StuckPinRecords embedded metric, which the deployment alarms on (EMF: a log line, no API call or permission)`,
  },
  publishPin: {
    ...tokenSourceBudget,
    // 88 KiB until token-lifecycle problems also became a counted log line (the deployment's TokenRefreshProblems
    // alarm); 89 KiB until that line named its deployment (the metric's dimension, shared/metrics.ts).
    ownBytes: 90 * 1024,
    reason:
      `${tokenSourceBudget.reason}; and the publish rules: claim, pacing, outcome classes and the operator's plain-language message for each ` +
      "Pinterest answer (about 12 KiB of own code, most of it the messages). The lighter alternative, codes without sentences, would leave " +
      'the operator to look each failure up.',
  },
  refreshTokens: {
    otherThirdPartyBytes: 200 * 1024,
    reason:
      "Sends operator notices: nodemailer's MailComposer (127.5 KiB) builds the raw MIME message, because every mail must carry " +
      '`Auto-Submitted` and our marker header, which only a raw send (SES SendRawEmail) can carry: SES v1 SendEmail takes no custom ' +
      'headers. The lighter alternative, a MIME composer written by hand (about 1 KiB), would re-implement header encoding (RFC 2047), ' +
      'line folding and transfer encodings that a well-kept library already gets right; the function runs once a day, off the request path.',
  },
};

export function budgetFor(id: FunctionId): { ownBytes: number; otherThirdPartyBytes: number } {
  return { ...defaultBudget, ...budgetOverrides[id] };
}
