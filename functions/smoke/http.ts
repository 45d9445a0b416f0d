import type { HttpSmokeTest } from '../config/schema';

interface CheckResult {
  passed: boolean;
  /** One line for humans: status and why it failed. */
  detail: string;
}

/** Keeps response excerpts short in events and logs. */
const BODY_EXCERPT_LENGTH = 120;

/** One HTTP request against a smoke-test URL; never throws. */
async function runHttpCheck(check: HttpSmokeTest): Promise<CheckResult> {
  const started = Date.now();
  try {
    const response = await fetch(check.url, {
      method: check.method,
      headers: check.headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(check.timeoutSeconds * 1000),
    });
    const body = check.method === 'HEAD' ? '' : await response.text();
    const elapsed = Date.now() - started;
    if (response.status !== check.expectStatus) {
      const excerpt = body.slice(0, BODY_EXCERPT_LENGTH).replace(/\s+/g, ' ').trim();
      return { passed: false, detail: `${check.method} ${check.url} → ${response.status} (expected ${check.expectStatus})${excerpt ? `: ${excerpt}` : ''}` };
    }
    if (check.bodyContains !== undefined && !body.includes(check.bodyContains)) {
      return { passed: false, detail: `${check.method} ${check.url} → ${response.status} but body lacks "${check.bodyContains}"` };
    }
    return { passed: true, detail: `${check.method} ${check.url} → ${response.status} in ${elapsed} ms` };
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${check.timeoutSeconds} s` : (error as Error).message;
    return { passed: false, detail: `${check.method} ${check.url} → ${reason}` };
  }
}

export { runHttpCheck };
export type { CheckResult };
