import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTCOME_WORDS, outcomeText, type OutcomeStatus } from '../../../functions/events/statuses';
import { renderSlackMessage } from '../../../functions/notifications/render';
import { outcomeWords } from '../../../local/timeline';
import { eventFor } from '../notifications/support/events';

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
const statuses = Object.keys(OUTCOME_WORDS) as OutcomeStatus[];

describe('one wording per outcome', () => {
  it.each(statuses)('README\'s outcome table says what %s means, in the words the code uses', (status) => {
    const { name, meaning } = OUTCOME_WORDS[status];
    expect(README).toContain(`| ${name} | ${meaning} | \`${status}\` |`);
  });

  it.each(statuses.filter((status) => status !== 'SKIPPED'))('Slack shows %s as the CLI and npm start do', (status) => {
    const fields = JSON.stringify(renderSlackMessage(eventFor(status)).blocks);
    expect(fields).toContain(outcomeText(status));
  });

  it.each(['ROLLED_BACK', 'ROLLBACK_FAILED', 'FAILED'] as const)('npm start ends %s with its name and meaning', (status) => {
    expect(outcomeWords(status)).toBe(`✘ ${outcomeText(status)}`);
  });
});
