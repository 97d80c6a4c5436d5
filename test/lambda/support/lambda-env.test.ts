/**
 * coldStart() and loaded(), which the handler tests rely on now that test files share a worker's
 * module cache: a cold start reads the environment afresh, and one that throws leaves the modules
 * loaded before it in place.
 */
import type * as Powertools from '../../../lambda/shared/powertools';
import { coldStart, LAMBDA_TEST_ENV, loaded, setEnv } from './lambda-env';

const GOOD = {
  ...LAMBDA_TEST_ENV,
  POWERTOOLS_SERVICE_NAME: 'glue-failure-notifier',
  TOPIC_ARN: 'arn:aws:sns:eu-west-1:111111111111:trackman-dev-alarms',
  JOB_TABLES: JSON.stringify({ 'trackman-dev-ingest-a': { source: 'trackman-backend', table: 'public.a' } }),
};

let restoreEnv: () => void;
beforeAll(() => {
  restoreEnv = setEnv(GOOD);
});
afterAll(() => restoreEnv());

test('a cold start loads the function and Powertools again', () => {
  const first = coldStart<object>('glue-failure-notifier');
  const { logger } = loaded<typeof Powertools>('shared/powertools');
  const second = coldStart<object>('glue-failure-notifier');
  expect(second).not.toBe(first);
  expect(loaded<typeof Powertools>('shared/powertools').logger).not.toBe(logger);
  expect(loaded<object>('glue-failure-notifier')).toBe(second);
});

test('a cold start that throws puts back the modules loaded before it', () => {
  const handlerModule = coldStart<object>('glue-failure-notifier');
  const { logger } = loaded<typeof Powertools>('shared/powertools');
  const restore = setEnv({ TOPIC_ARN: 'not-an-arn' });
  try {
    expect(() => coldStart('glue-failure-notifier')).toThrow(
      'TOPIC_ARN: expected the ARN of a standard SNS topic',
    );
  } finally {
    restore();
  }
  expect(loaded<object>('glue-failure-notifier')).toBe(handlerModule);
  expect(loaded<typeof Powertools>('shared/powertools').logger).toBe(logger);
});
