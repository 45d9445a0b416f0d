import { excerpt, redact, redactDeep, rememberSecret } from '../../../functions/shared/redact';
import { logger } from '../../../functions/shared/logger';
import { InvalidInput } from '../../../functions/shared/errors';
import { captureLogs } from '../../support/logs';

describe('redact: the one redaction of logs, events and errors', () => {
  it.each([
    ['URL userinfo', 'GET https://ci:hunter2@api.internal/health → 401', 'GET https://[redacted]@api.internal/health → 401', 'hunter2'],
    ['a user name alone', 'http://deploy@10.0.0.5/', 'http://[redacted]@10.0.0.5/', 'deploy@'],
    ['a Slack webhook path', 'POST https://hooks.slack.com/services/T0/B0/abcDEF123 failed', 'POST https://hooks.slack.com/services/[redacted] failed', 'abcDEF123'],
    ['a bot token', 'auth failed for xoxb-1234-5678-abcdef', 'auth failed for [redacted]', 'xoxb-'],
    ['a bearer value', 'sent Authorization: Bearer eyJhbGciOi.payload.sig', 'sent Authorization: Bearer [redacted]', 'eyJhbGciOi'],
    ['an access key id', 'key AKIAIOSFODNN7EXAMPLE used', 'key [redacted] used', 'AKIAIOSFODNN7EXAMPLE'],
  ])('removes %s', (_, text, expected, secret) => {
    expect(redact(text)).toBe(expected);
    expect(redact(text)).not.toContain(secret);
  });

  it('removes every secret value it is told, URL-encoded too, longest first', () => {
    const text = 'header X-Api-Key: s3cr3t-value-long; query ?k=s3cr3t%2Fslash; s3cr3t-value';
    expect(redact(text, ['s3cr3t-value', 's3cr3t-value-long', 's3cr3t/slash'])).toBe('header X-Api-Key: [redacted]; query ?k=[redacted]; [redacted]');
  });

  it('leaves prose about credentials alone', () => {
    const text = 'X-Auth-Token carries a credential; Basic authentication failed; Bearer tokens expire';
    expect(redact(text)).toBe(text);
  });

  it('leaves ordinary text alone, and ignores secrets too short to search for', () => {
    const text = 'GET https://api.internal/health → 503 Service Unavailable (sha256:ab12…)';
    expect(redact(text, ['a', 'GE'])).toBe(text);
  });

  it('redacts every string of a structure, keeping keys, numbers and error names', () => {
    const error = new InvalidInput('x');
    error.message = 'with xoxb-9-9-secret';
    const value = redactDeep({ url: 'https://u:p@h/', nested: [{ n: 1, s: 'xapp-1-A-b' }], error });
    expect(value).toEqual({ url: 'https://[redacted]@h/', nested: [{ n: 1, s: '[redacted]' }], error: expect.objectContaining({ name: 'InvalidInput', message: 'with [redacted]' }) });
  });

  it('removes a secret remembered at run time from every later text, whoever redacts it', () => {
    rememberSecret('r3m3mb3r3d-h3ad3r-value');

    expect(redact('echoed r3m3mb3r3d-h3ad3r-value back')).toBe('echoed [redacted] back');
    expect(new InvalidInput('got r3m3mb3r3d-h3ad3r-value').message).toBe('got [redacted]');
  });

  it('bounds an excerpt after redacting, so no part of a secret survives the cut', () => {
    const line = excerpt(`  token\n xoxb-${'9'.repeat(200)} and more`, 30);
    expect(line).toBe('token [redacted] and more');
    expect(excerpt('x'.repeat(200), 20)).toHaveLength(20);
  });

  it('is what deployment errors and log lines go through', async () => {
    expect(new InvalidInput('smoke URL https://admin:pw@internal/ refused').message).toBe('smoke URL https://[redacted]@internal/ refused');
    const printed = await captureLogs(() => logger.info('fetched https://admin:pw@internal/', { token: 'xoxb-1-2-3abc', error: new Error('Bearer abc123defgh') }));
    expect(printed).toContain('https://[redacted]@internal/');
    expect(printed).not.toMatch(/admin:pw|xoxb-1-2-3abc|abc123defgh/);
  });
});
