import { notificationSecretReferences, resolveSlackSettings, shouldNotify } from '../../../functions/notifications/settings';
import { configWith } from './support/events';

describe('resolveSlackSettings', () => {
  it('returns undefined when neither the file nor the target configures Slack', () => {
    expect(resolveSlackSettings(configWith(undefined), 'stream-ml-service')).toBeUndefined();
  });

  it('gives a target the top-level settings, every status by default', () => {
    const config = configWith({ slack: { webhookSecret: 'ecr-deployer/slack-webhook' } });

    expect(resolveSlackSettings(config, 'stream-ml-service')).toEqual({
      mode: 'webhook',
      secret: 'ecr-deployer/slack-webhook',
      statuses: ['AWAITING_APPROVAL', 'STARTED', 'SUCCEEDED', 'FAILED', 'ROLLING_BACK', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'SKIPPED', 'DRIFT_DETECTED'],
    });
  });

  it('lays a target override over the top-level settings field by field', () => {
    const config = configWith(
      { slack: { botTokenSecret: 'ssm:/slack/bot', channel: '#deploys', statuses: ['STARTED', 'SUCCEEDED', 'FAILED'] } },
      { 'web-dev': { slack: { statuses: ['FAILED', 'ROLLBACK_FAILED'] } } },
    );

    expect(resolveSlackSettings(config, 'web-dev')).toEqual({ mode: 'bot', secret: 'ssm:/slack/bot', channel: '#deploys', statuses: ['FAILED', 'ROLLBACK_FAILED'] });
    expect(resolveSlackSettings(config, 'stream-ml-service')).toMatchObject({ statuses: ['STARTED', 'SUCCEEDED', 'FAILED'] });
  });

  it('replaces the top-level secret, whichever kind, when the target names its own', () => {
    const config = configWith({ slack: { botTokenSecret: 'slack/bot', channel: '#deploys' } }, { 'web-dev': { slack: { webhookSecret: 'slack/dev-webhook' } } });

    expect(resolveSlackSettings(config, 'web-dev')).toEqual({ mode: 'webhook', secret: 'slack/dev-webhook', statuses: expect.any(Array) });
  });

  it('takes a target channel for the top-level bot token', () => {
    const config = configWith({ slack: { botTokenSecret: 'slack/bot', channel: '#deploys' } }, { 'web-dev': { slack: { channel: '#dev-deploys' } } });

    expect(resolveSlackSettings(config, 'web-dev')).toMatchObject({ mode: 'bot', channel: '#dev-deploys' });
  });

  it('configures a target alone when only it names a secret', () => {
    const config = configWith(undefined, { 'web-dev': { slack: { webhookSecret: 'slack/dev-webhook', statuses: ['FAILED'] } } });

    expect(resolveSlackSettings(config, 'web-dev')).toEqual({ mode: 'webhook', secret: 'slack/dev-webhook', statuses: ['FAILED'] });
    expect(resolveSlackSettings(config, 'stream-ml-service')).toBeUndefined();
  });

  it('uses the top-level settings for a target no longer in deployments.yml', () => {
    const config = configWith({ slack: { webhookSecret: 'slack/webhook' } });

    expect(resolveSlackSettings(config, 'removed-target')).toMatchObject({ mode: 'webhook', secret: 'slack/webhook' });
  });

  it.each([
    [undefined, { slack: { statuses: ['FAILED'] } }, 'targets[1].notifications.slack: set webhookSecret or botTokenSecret'],
    [undefined, { slack: { webhookSecret: 'a', botTokenSecret: 'b', channel: '#c' } }, 'targets[1].notifications.slack: set webhookSecret or botTokenSecret, not both'],
    [{ slack: { webhookSecret: 'a' } }, { slack: { botTokenSecret: 'b' } }, 'targets[1].notifications.slack.channel: a bot token needs a channel'],
  ])('throws ConfigError naming the field when the merged settings cannot work (%#)', (top, override, message) => {
    const config = configWith(top, { 'web-dev': override });

    expect(() => resolveSlackSettings(config, 'web-dev')).toThrow(expect.objectContaining({ name: 'ConfigError', message: expect.stringContaining(message) }));
  });
});

describe('shouldNotify', () => {
  it('notifies only the statuses listed', () => {
    const destination = { mode: 'webhook' as const, secret: 's', statuses: ['FAILED', 'ROLLBACK_FAILED'] as const };

    expect(shouldNotify(destination, 'FAILED')).toBe(true);
    expect(shouldNotify(destination, 'SUCCEEDED')).toBe(false);
  });
});

describe('notificationSecretReferences', () => {
  it('lists each secret once: the top-level one and the targets’ own', () => {
    const config = configWith({ slack: { webhookSecret: 'slack/webhook' } }, { 'web-dev': { slack: { webhookSecret: 'ssm:/slack/dev' } } });

    expect(notificationSecretReferences(config).sort()).toEqual(['slack/webhook', 'ssm:/slack/dev']);
  });

  it('lists nothing without notifications', () => {
    expect(notificationSecretReferences(configWith(undefined))).toEqual([]);
  });
});
