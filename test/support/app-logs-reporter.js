const { existsSync } = require('node:fs');
const { join, relative } = require('node:path');

/**
 * Quiet tests keep application logs out of the console (test/support/app-logs.ts): under each
 * failing test file, this reporter names that file's application log and the run's log directory
 * (the Temporal and MongoDB-wire servers' logs, spawned processes' logs).
 */
class AppLogsReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onTestResult(_test, result) {
    if (result.numFailingTests === 0 && !result.testExecError) return;
    const dir = process.env.TEST_LOG_DIR;
    if (!dir) return;
    const file = join(dir, 'apps', `${relative(this.rootDir, result.testFilePath)}.log`);
    process.stderr.write(
      `  logs: ${existsSync(file) ? `application log ${file}` : 'no application log written'}; servers and processes in ${dir}\n\n`,
    );
  }
}

module.exports = AppLogsReporter;
