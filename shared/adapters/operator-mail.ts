import type { OperatorNotifier } from '../use-cases/token-ports';
import type { SesMailer } from './ses-mailer';

/**
 * Operator notices as plain-text mail through SES, From the verified identity to
 * OPERATOR_NOTIFY_EMAIL, marked `Auto-Submitted: auto-generated` (and with our marker header, as every
 * mail the product sends).
 */
export class OperatorMail implements OperatorNotifier {
  constructor(
    private readonly mailer: SesMailer,
    private readonly to: string,
  ) {}

  async notify(notice: Parameters<OperatorNotifier['notify']>[0]): Promise<void> {
    await this.tell(notice);
  }

  /** Any notice: a subject and a text (and a Message-ID chosen beforehand). Answers the notice's Message-ID. */
  async tell(notice: { subject: string; text: string; messageId?: string }): Promise<{ messageId: string }> {
    return this.mailer.send({
      ...(notice.messageId === undefined ? {} : { messageId: notice.messageId }),
      to: [this.to],
      subject: `[MiraDigitalZen Publisher] ${notice.subject}`,
      text: notice.text,
      autoSubmitted: 'auto-generated',
    });
  }
}
