import { z } from 'zod';
import { DEPLOYMENT_STATUSES } from '../events/statuses';
import { secretReferenceSchema } from './names';

/** Statuses a Slack channel can be told about (the deployment events' statuses). */
const NOTIFIABLE_STATUSES = DEPLOYMENT_STATUSES;

const slackSettingsSchema = z
  .object({
    webhookSecret: secretReferenceSchema.optional().describe('Secret holding an incoming-webhook URL'),
    botTokenSecret: secretReferenceSchema.optional().describe('Secret holding a bot token (xoxb-…): one message per deployment, updated in place, later statuses in its thread'),
    channel: z.string().regex(/^#?[A-Za-z0-9_.-]{1,80}$/, 'a channel id (C0123ABCD) or name (#deploys)').optional().describe('Channel id or name for the bot token (webhooks are bound to their channel)'),
    statuses: z.array(z.enum(NOTIFIABLE_STATUSES)).min(1).optional().describe('Which statuses notify (default: all)'),
  })
  .strict();

/** Top-level `notifications`: the defaults for every target. */
const notificationsSchema = z
  .object({ slack: slackSettingsSchema.optional() })
  .strict()
  .superRefine((value, ctx) => {
    const slack = value.slack;
    if (!slack) return;
    if (!slack.webhookSecret && !slack.botTokenSecret) {
      ctx.addIssue({ code: 'custom', path: ['slack'], message: 'set webhookSecret or botTokenSecret' });
    }
    if (slack.webhookSecret && slack.botTokenSecret) {
      ctx.addIssue({ code: 'custom', path: ['slack'], message: 'set webhookSecret or botTokenSecret, not both' });
    }
    if (slack.botTokenSecret && !slack.channel) {
      ctx.addIssue({ code: 'custom', path: ['slack', 'channel'], message: 'a bot token needs a channel' });
    }
  });

/** A target's `notifications`: overrides of the top-level settings, field by field. */
const targetNotificationsSchema = z.object({ slack: slackSettingsSchema.optional() }).strict();

type SlackSettings = z.infer<typeof slackSettingsSchema>;
type NotificationsConfig = z.infer<typeof notificationsSchema>;

export { NOTIFIABLE_STATUSES, notificationsSchema, targetNotificationsSchema, slackSettingsSchema };
export type { SlackSettings, NotificationsConfig };
