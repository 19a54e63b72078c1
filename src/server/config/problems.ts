/**
 * What is wrong with a configuration. Warnings (unknown sections and keys, repeated keys) are reported at
 * start and the process runs; errors (a wrong type, a value out of range, a broken relationship between
 * keys) refuse to start, all of them listed at once so the operator fixes the file in one go.
 */
import { PegasusError } from '../../base/error-code.ts';

export interface ConfigProblem {
  readonly severity: 'error' | 'warning';
  readonly section: string;
  readonly key: string | undefined;
  /** `file:line` when the line is known, else the file's name. */
  readonly where: string;
  readonly message: string;
}

export function describeProblem(problem: ConfigProblem): string {
  const place = problem.key === undefined ? `[${problem.section}]` : `[${problem.section}] ${problem.key}`;
  return `${problem.where}: ${problem.severity}: ${place}: ${problem.message}`;
}

/** The configuration is refused; `problems` holds every error and warning found. */
export class ConfigError extends PegasusError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(
      'ERR_INVALID_PARAMETERS',
      `invalid configuration (${errors.length} error${errors.length === 1 ? '' : 's'}):\n` +
        errors.map((p) => `  ${describeProblem(p)}`).join('\n'),
    );
    this.problems = problems;
  }
}
