/** What a schema library reports: where each problem is, and what it is (zod and zod/mini alike). */
interface SchemaIssues {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}

/** One line per problem: where it is and what is wrong. */
function describeIssues(error: SchemaIssues): string {
  return error.issues
    .map((issue) => {
      const where = issue.path.length > 0 ? issue.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('').replace(/^\./, '') : '(top level)';
      return `  - ${where}: ${issue.message}`;
    })
    .join('\n');
}

export { describeIssues };
export type { SchemaIssues };
