/** A problem a rule finds in a config: where, the value found, and what was expected. */
export interface RuleIssue {
  readonly path: (string | number)[];
  readonly input: unknown;
  /** What was expected, phrased to follow "expected ". */
  readonly message: string;
}
