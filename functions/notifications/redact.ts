/**
 * Removes a secret from text that came from outside (a Slack answer, a network error)
 * before it goes into an error message or a log line. A webhook URL is also removed by
 * its path alone, the part that is the secret.
 *
 * @example redact('POST https://hooks.slack.com/services/T/B/x failed', 'https://hooks.slack.com/services/T/B/x') // 'POST [redacted] failed'
 */
function redact(text: string, secret: string): string {
  const variants = [secret];
  try {
    const { pathname } = new URL(secret);
    if (pathname.length > 1) variants.push(pathname);
  } catch {
    // a token, not a URL
  }
  return variants.reduce((result, variant) => result.split(variant).join('[redacted]'), text);
}

/** Slack's short error answer (`no_service`, `invalid_payload`…), on one line, bounded, without the secret. */
function slackAnswer(body: unknown, secret: string): string {
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  const line = redact(text, secret).replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

export { redact, slackAnswer };
