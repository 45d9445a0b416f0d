import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Real public definitions kept beside the repository, in `../shared/corpus`
 * (CI has it; a fresh clone of the repository alone does not).
 * This file is `<repo>/test/support/corpus.ts`, so the repository root is two levels up.
 */
const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..');
const CORPUS_ROOT = path.resolve(REPOSITORY_ROOT, '..', 'shared', 'corpus');

type CorpusFolder = 'ecs' | 'batch';

/** How the project wrote the definition: a RegisterTaskDefinition input, or a saved DescribeTaskDefinition output. */
type CorpusKind = 'register-input' | 'describe-output';

interface CorpusEntry {
  /** File name, e.g. `13-bolius-describe-output-legacy-nulls.json`. */
  file: string;
  source: { repo: string; path: string; commit: string | null };
  kind: CorpusKind;
  note?: string;
  definition: Record<string, unknown>;
}

interface Corpus {
  /** The folder read, e.g. `<root>/ecs`. */
  directory: string;
  /** Set when the corpus is absent: the path that does not exist, as a person would type it. */
  missing?: string;
  entries: CorpusEntry[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A malformed corpus file fails loudly, naming the file: it is never skipped. */
function parseEntry(directory: string, file: string): CorpusEntry {
  const wrapper: unknown = JSON.parse(readFileSync(path.join(directory, file), 'utf8'));
  if (!isRecord(wrapper) || !isRecord(wrapper.definition) || !isRecord(wrapper.source)) {
    throw new Error(`${file}: not a corpus wrapper {source, kind, note, definition}`);
  }
  if (wrapper.kind !== 'register-input' && wrapper.kind !== 'describe-output') {
    throw new Error(`${file}: kind must be "register-input" or "describe-output", got ${JSON.stringify(wrapper.kind)}`);
  }
  return {
    file,
    source: wrapper.source as CorpusEntry['source'],
    kind: wrapper.kind,
    note: typeof wrapper.note === 'string' ? wrapper.note : undefined,
    definition: wrapper.definition,
  };
}

/** Every `*.json` of one corpus folder, in file-name order; `missing` set instead when the folder is absent. */
function loadCorpus(folder: CorpusFolder, root: string = CORPUS_ROOT): Corpus {
  const directory = path.join(root, folder);
  const absent = [root, directory].find((candidate) => !existsSync(candidate));
  if (absent !== undefined) return { directory, missing: path.relative(REPOSITORY_ROOT, absent), entries: [] };
  const files = readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .sort();
  return { directory, entries: files.map((file) => parseEntry(directory, file)) };
}

function missingCorpusMessage(corpus: Corpus): string {
  return `${corpus.missing ?? corpus.directory} not found: corpus preservation tests skipped`;
}

/**
 * The single test a run without the corpus has (no it.skip: a skip must be said
 * out loud): its title and a console warning say the corpus tests did not run,
 * and it checks the corpus is really absent and named by the path that is missing.
 */
function itReportsMissingCorpus(corpus: Corpus): void {
  const message = missingCorpusMessage(corpus);
  it(`reports "${message}"`, () => {
    console.warn(message);
    expect(corpus.missing).toBeDefined();
    expect(existsSync(path.resolve(REPOSITORY_ROOT, corpus.missing ?? ''))).toBe(false);
    expect(corpus.entries).toEqual([]);
  });
}

export { CORPUS_ROOT, loadCorpus, missingCorpusMessage, itReportsMissingCorpus };
export type { Corpus, CorpusEntry, CorpusKind, CorpusFolder };

/**
 * A deep copy made in the test's own realm. jest 29 runs tests in a separate VM
 * context, so objects from Node's structuredClone fail toStrictEqual's type checks.
 */
function deepCopy<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (Array.isArray(value)) return value.map((item) => deepCopy(item)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, deepCopy(item)])) as T;
  }
  return value;
}

export { deepCopy };
