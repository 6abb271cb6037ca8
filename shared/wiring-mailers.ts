import { sesClient } from './adapters/aws/ses';
import { OperatorMail } from './adapters/operator-mail';
import { SesMailer } from './adapters/ses-mailer';
import { appSettings, clock, hashingKey, lazy } from './wiring';

/**
 * The two identities the product sends as, each one mailer per container: SENDER_EMAIL (operator
 * notices, the support form's forward) and SUPPORT_EMAIL (acknowledgements, the operator's replies);
 * and the operator's notices over the first. Every mail carries our marker header.
 */

export const senderMailer = /* @__PURE__ */ lazy(() => new SesMailer(sesClient(), appSettings().SENDER_EMAIL, hashingKey(), clock));

export const supportMailer = /* @__PURE__ */ lazy(() => new SesMailer(sesClient(), appSettings().SUPPORT_EMAIL, hashingKey(), clock));

export const operatorMail = /* @__PURE__ */ lazy(() => new OperatorMail(senderMailer(), appSettings().OPERATOR_NOTIFY_EMAIL));
