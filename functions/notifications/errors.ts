/**
 * Errors of the Slack notifier. Like functions/shared/errors.ts, every class sets a
 * literal name (class names do not survive minifiers). None of their messages ever
 * holds a webhook URL or a token: they are built from status codes, Slack's error
 * codes and the secret's *reference*, never from the secret's value.
 */

/**
 * Slack refused the message for good (revoked or invalid webhook, archived or unknown
 * channel, bad payload, invalid token…). Sending it again cannot help: the notifier
 * logs it once, with the target's name, and does not let the event be retried.
 */
class SlackNotificationRejected extends Error {
  public override readonly name: string = 'SlackNotificationRejected';
}

/** An incoming webhook answered a 4xx other than 429 (`no_service`, `invalid_payload`, `channel_is_archived`…). */
class SlackWebhookRejected extends SlackNotificationRejected {
  public override readonly name: string = 'SlackWebhookRejected';
}

/** The Web API (bot token) answered `ok: false` with a permanent error (`channel_not_found`, `invalid_auth`, `not_in_channel`…). */
class SlackApiRejected extends SlackNotificationRejected {
  public override readonly name: string = 'SlackApiRejected';
}

/**
 * The notification settings cannot work: the secret does not exist, may not be read,
 * or does not hold a webhook URL / bot token; or deployments.yml combines settings
 * that do not fit. A person has to fix it; retrying the event cannot.
 */
class SlackConfigurationError extends Error {
  public override readonly name: string = 'SlackConfigurationError';
}

/**
 * Slack kept answering 429 or 5xx, or could not be reached, for longer than the
 * notifier may wait. Thrown out of the handler so that Lambda's asynchronous
 * retries (one and two minutes later) take over.
 */
class SlackUnavailable extends Error {
  public override readonly name: string = 'SlackUnavailable';
}

/**
 * Bot-token mode: another invocation is posting this deployment's first message and
 * has not stored its timestamp yet, so there is no thread to post in. Retried by Lambda.
 */
class SlackThreadPending extends Error {
  public override readonly name: string = 'SlackThreadPending';
}

export { SlackNotificationRejected, SlackWebhookRejected, SlackApiRejected, SlackConfigurationError, SlackUnavailable, SlackThreadPending };
