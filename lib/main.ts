import { buildApp, type BuildAppOptions } from './app';
import { ConfigError, ConfigErrors, configErrorLines } from './config';

export interface MainOptions {
  /** Passed to buildApp; tests give a registry of broken configs. @default - the shipped environments */
  readonly build?: BuildAppOptions;
  /** Where problem lines go. @default - process.stderr */
  readonly writeError?: (line: string) => void;
}

/**
 * The app entry (bin/app.ts): builds and synthesizes every selected
 * environment and returns the process exit code. An invalid config is a
 * mistake in a file a person edits, not a crash: it prints one line per
 * problem (field, expected, received, file to edit), no stack trace, and
 * returns 1. Any other error propagates with its stack.
 */
export function main(options: MainOptions = {}): number {
  const writeError = options.writeError ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    buildApp(options.build).app.synth();
    return 0;
  } catch (error) {
    const errors =
      error instanceof ConfigErrors ? error.errors : error instanceof ConfigError ? [error] : undefined;
    if (errors === undefined) throw error;
    for (const line of configErrorLines(errors)) writeError(line);
    return 1;
  }
}
