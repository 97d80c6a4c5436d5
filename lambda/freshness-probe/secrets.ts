/** Database credentials out of a Secrets Manager secret: a JSON object with `username` and `password`. */

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/**
 * @throws Error naming the secret and the expected shape; the secret's text is never echoed.
 */
export function parseCredentials(arn: string, text: string | undefined): Credentials {
  let value: unknown;
  try {
    value = JSON.parse(text ?? '');
  } catch {
    throw new Error(
      `secret ${arn}: expected JSON {"username": ..., "password": ...}; received text that is not JSON`,
    );
  }
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  if (typeof record.username !== 'string' || record.username === '' || typeof record.password !== 'string') {
    throw new Error(
      `secret ${arn}: expected a string username and password; received an object without them`,
    );
  }
  return { username: record.username, password: record.password };
}
