// Ends every jest run with the fault matrices the run produced (test/faults) and one
// plain line, "N passed, N failed, N skipped", that CI logs can be read by.
const { existsSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const MATRIX_DIR = join(__dirname, '..', '..', 'reports', 'fault-matrix');

class SummaryReporter {
  onRunStart() {
    rmSync(MATRIX_DIR, { recursive: true, force: true });
  }

  onRunComplete(_contexts, results) {
    if (existsSync(MATRIX_DIR)) {
      for (const file of readdirSync(MATRIX_DIR).sort()) process.stdout.write(`\n${readFileSync(join(MATRIX_DIR, file), 'utf8')}`);
      process.stdout.write('\n');
    }
    process.stdout.write(`${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped\n`);
  }
}

module.exports = SummaryReporter;
