import { excerpt } from '../shared/redact';

/** Slack's short error answer (`no_service`, `invalid_payload`…), on one line, bounded, without the secret. */
function slackAnswer(body: unknown, secret: string): string {
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  return excerpt(text, 120, [secret]);
}

export { slackAnswer };
