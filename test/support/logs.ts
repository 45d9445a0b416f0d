import { logger } from '../../functions/shared/logger';

/** Everything the logger writes while `run` runs, at debug level (the tests' logger is otherwise silent). */
async function captureLogs(run: () => unknown): Promise<string> {
  const written: string[] = [];
  const capture = (chunk: unknown): boolean => {
    written.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  logger.setLogLevel('DEBUG');
  try {
    await run();
  } finally {
    logger.setLogLevel('SILENT');
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return written.join('');
}

export { captureLogs };
