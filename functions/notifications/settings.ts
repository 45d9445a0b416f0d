import type { SlackSettings } from '../config/notifications-schema';
import { DEPLOYMENT_STATUSES as NOTIFIABLE_STATUSES } from '../events/statuses';
import type { DeploymentsFile } from '../config/schema';
import type { DeploymentStatus } from '../events/deployment-events';
import { ConfigError } from '../shared/errors';

/** Where and what one target's deployment events are told in Slack. */
interface WebhookDestination {
  mode: 'webhook';
  /** Reference of the secret holding the incoming-webhook URL. */
  secret: string;
  statuses: readonly DeploymentStatus[];
}

interface BotDestination {
  mode: 'bot';
  /** Reference of the secret holding the bot token. */
  secret: string;
  channel: string;
  statuses: readonly DeploymentStatus[];
}

type SlackDestination = WebhookDestination | BotDestination;

type NotificationsSource = Pick<DeploymentsFile, 'notifications' | 'targets'>;

/** Without `statuses`, every status notifies. */
const ALL_STATUSES: readonly DeploymentStatus[] = NOTIFIABLE_STATUSES;

/**
 * A target's Slack settings: the top-level `notifications.slack` with the target's
 * `notifications.slack` laid over it, field by field. The secret is one field for
 * this purpose: a target that names a webhookSecret or a botTokenSecret replaces the
 * top-level secret, whichever kind that was (a target cannot end up with both).
 * `statuses` replaces the top-level list (default: every status).
 *
 * @returns undefined when neither level configures Slack.
 * @throws ConfigError when the merged settings cannot work (no secret, both, a bot token without a channel).
 * @example resolveSlackSettings(file, 'web') // { mode: 'webhook', secret: 'ecr-deployer/slack-webhook', statuses: ['FAILED', …] }
 */
function resolveSlackSettings(file: NotificationsSource, targetName: string): SlackDestination | undefined {
  const index = file.targets.findIndex((target) => target.name === targetName);
  const base: SlackSettings | undefined = file.notifications?.slack;
  const override: SlackSettings | undefined = index >= 0 ? file.targets[index]?.notifications?.slack : undefined;
  if (!base && !override) return undefined;
  const where = override ? `targets[${index}].notifications.slack` : 'notifications.slack';

  if (override?.webhookSecret && override.botTokenSecret) throw new ConfigError(`${where}: set webhookSecret or botTokenSecret, not both`);
  const secrets = override?.webhookSecret || override?.botTokenSecret ? override : base;
  const statuses = override?.statuses ?? base?.statuses ?? ALL_STATUSES;
  if (secrets?.webhookSecret) return { mode: 'webhook', secret: secrets.webhookSecret, statuses };
  if (secrets?.botTokenSecret) {
    const channel = override?.channel ?? base?.channel;
    if (!channel) throw new ConfigError(`${where}.channel: a bot token needs a channel`);
    return { mode: 'bot', secret: secrets.botTokenSecret, channel, statuses };
  }
  throw new ConfigError(`${where}: set webhookSecret or botTokenSecret (there is no top-level notifications.slack to take them from)`);
}

/** Whether this status notifies (the `statuses` filter). */
function shouldNotify(destination: SlackDestination, status: DeploymentStatus): boolean {
  return destination.statuses.includes(status);
}

/**
 * Every secret reference the notifier may read: the top-level one and each target's
 * effective one. Resolving every target also checks the settings, so packaging fails
 * on settings the notifier could not use.
 */
function notificationSecretReferences(file: NotificationsSource): string[] {
  const references = new Set<string>();
  const top = file.notifications?.slack;
  if (top?.webhookSecret) references.add(top.webhookSecret);
  if (top?.botTokenSecret) references.add(top.botTokenSecret);
  for (const target of file.targets) {
    const destination = resolveSlackSettings(file, target.name);
    if (destination) references.add(destination.secret);
  }
  return [...references];
}

export { resolveSlackSettings, shouldNotify, notificationSecretReferences, ALL_STATUSES };
export type { SlackDestination, WebhookDestination, BotDestination, NotificationsSource };
