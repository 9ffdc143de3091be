// Jest reporter: ends the run with one plain line, "N passed, N failed", for tools that read the closing line.
'use strict';
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
    // Written at exit so that it comes after Jest's own summary.
    process.once('exit', () => process.stdout.write(line));
  }
}
module.exports = SummaryReporter;
