import * as z from '../zod';

/**
 * The public support form (DESIGN.md "Mail"): who is asking (an email address to answer), about what
 * (a topic; data access and deletion are privacy requests), and the message. A honeypot field people
 * never see catches form-filling robots.
 */

export const supportTopics = ['support', 'data_access', 'data_deletion', 'other'] as const;
export type SupportTopic = (typeof supportTopics)[number];

export const topicLabels: Record<SupportTopic, string> = {
  support: 'Support',
  data_access: 'Data access (a copy of my data)',
  data_deletion: 'Data deletion',
  other: 'Other',
};

export const supportFormLimits = { email: 254, message: 5000 } as const;

/** The field a person never sees (hidden from view and from assistive technology); a robot fills it. */
export const HONEYPOT_FIELD = 'leave_blank';

const characters = (text: string) => Array.from(text).length;

/** A submission as it arrives (strings from the form, or JSON), checked field by field. */
export const supportRequestSchema = z.strictObject({
  email: z.string('email is required').check(
    z.refine((value: string) => value.trim() !== '', 'email is required'),
    z.refine((value: string) => !/[\r\n]/.test(value), 'email must not contain line breaks'),
    z.refine((value: string) => value.trim().length <= supportFormLimits.email, `email must be at most ${String(supportFormLimits.email)} characters`),
    z.refine((value: string) => z.safeParse(z.email(), value.trim()).success, 'email must be a valid email address'),
  ),
  topic: z.enum(supportTopics, { error: `topic must be one of ${supportTopics.join(', ')}` }),
  message: z.string('message is required').check(
    z.refine((value: string) => value.trim() !== '', 'message must not be empty'),
    z.refine((value: string) => characters(value.trim()) <= supportFormLimits.message, `message must be at most ${String(supportFormLimits.message)} characters`),
  ),
  [HONEYPOT_FIELD]: z.optional(z.string()),
});
export type SupportRequestInput = z.infer<typeof supportRequestSchema>;

/** A checked request: the address trimmed, line breaks in the message made plain LF. */
export interface SupportRequest {
  email: string;
  topic: SupportTopic;
  message: string;
}

export function normalizeRequest(input: SupportRequestInput): SupportRequest {
  return { email: input.email.trim(), topic: input.topic, message: input.message.trim().replace(/\r\n?/g, '\n') };
}

/** Data access and deletion are privacy requests: the ticket is marked for the privacy work. */
export function privacyCandidateOf(topic: SupportTopic): 'data_access' | 'data_deletion' | undefined {
  return topic === 'data_access' || topic === 'data_deletion' ? topic : undefined;
}
