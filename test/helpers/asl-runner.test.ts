/**
 * The in-process ASL runner the workflow tests rely on: each feature the
 * ingestion workflow uses behaves as the States Language specification says,
 * and what the runner does not implement fails loudly.
 */
import { runStateMachine, type AslMachine, type TaskHandler } from './asl-runner';

class CodedError extends Error {
  constructor(code: string, message: string) {
    super(message);
    this.name = code;
  }
}

const run = (machine: AslMachine, input: unknown, taskHandlers: Record<string, TaskHandler> = {}) =>
  runStateMachine(machine, input, { taskHandlers, execution: { Id: 'arn:exec:1', Name: 'one' } });

describe('asl-runner', () => {
  test('Pass with Parameters, ResultPath and the context object; intrinsic functions', async () => {
    const outcome = await run(
      {
        StartAt: 'Shape',
        States: {
          Shape: {
            Type: 'Pass',
            Parameters: {
              'n.$': 'States.ArrayLength($.items)',
              'has.$': "States.ArrayContains($.items[*].s, 'b')",
              'text.$':
                "States.Format('{} of {}: {}', States.ArrayLength($.items), 3, States.JsonToString($.items[*].s))",
              'picked.$': "$.items[?(@.s == 'b')]",
              'execution.$': '$$.Execution.Id',
              fixed: 'x',
            },
            ResultPath: '$.out',
            End: true,
          },
        },
      },
      { items: [{ s: 'a' }, { s: 'b' }] },
    );
    expect(outcome).toEqual({
      status: 'SUCCEEDED',
      output: {
        items: [{ s: 'a' }, { s: 'b' }],
        out: {
          n: 2,
          has: true,
          text: '2 of 3: ["a","b"]',
          picked: [{ s: 'b' }],
          execution: 'arn:exec:1',
          fixed: 'x',
        },
      },
    });
  });

  test('Retry counts attempts per retrier (default 3), MaxAttempts 0 never retries, Catch places the error', async () => {
    const calls: string[] = [];
    const machine: AslMachine = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: 'arn:aws:states:::example',
          Parameters: { 'kind.$': '$.kind' },
          Retry: [{ ErrorEquals: ['Never'], MaxAttempts: 0 }, { ErrorEquals: ['States.ALL'] }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Caught' }],
          ResultSelector: { 'id.$': '$.Id' },
          ResultPath: '$.result',
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    };
    const handler: TaskHandler = (input) => {
      const { kind } = input as { kind: string };
      calls.push(kind);
      throw new CodedError(kind, `${kind} happened`);
    };
    expect(await run(machine, { kind: 'Flaky' }, { Work: handler })).toEqual({
      status: 'SUCCEEDED',
      output: { kind: 'Flaky', failure: { Error: 'Flaky', Cause: 'Flaky happened' } },
    });
    expect(calls).toEqual(['Flaky', 'Flaky', 'Flaky', 'Flaky']);

    calls.length = 0;
    await run(machine, { kind: 'Never' }, { Work: handler });
    expect(calls).toEqual(['Never']);

    expect(await run(machine, { kind: 'ok' }, { Work: () => ({ Id: 'r1', Other: 1 }) })).toEqual({
      status: 'SUCCEEDED',
      output: { kind: 'ok', result: { id: 'r1' } },
    });
  });

  test('Map runs each item through its processor in order; Choice and Fail end the execution', async () => {
    const machine: AslMachine = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.values',
          ItemSelector: { 'v.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' },
          MaxConcurrency: 2,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Double',
            States: { Double: { Type: 'Task', Resource: 'arn:x', End: true } },
          },
          ResultPath: '$.doubled',
          Next: 'Big',
        },
        Big: {
          Type: 'Choice',
          Choices: [{ Variable: '$.doubled[2].v', NumericGreaterThan: 5, Next: 'TooBig' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
        TooBig: { Type: 'Fail', Error: 'TooBig', CausePath: '$.why' },
      },
    };
    const double: TaskHandler = (input) => {
      const { v, i } = input as { v: number; i: number };
      return { v: v * 2, i };
    };
    expect(await run(machine, { values: [1, 2, 3], why: 'six' }, { Double: double })).toEqual({
      status: 'FAILED',
      error: 'TooBig',
      cause: 'six',
    });
    expect(await run(machine, { values: [1, 2, 2], why: 'four' }, { Double: double })).toEqual({
      status: 'SUCCEEDED',
      output: {
        values: [1, 2, 2],
        why: 'four',
        doubled: [
          { v: 2, i: 0 },
          { v: 4, i: 1 },
          { v: 4, i: 2 },
        ],
      },
    });
  });

  test('a missing path is States.Runtime, which States.ALL does not catch', async () => {
    const outcome = await run(
      {
        StartAt: 'Read',
        States: {
          Read: {
            Type: 'Task',
            Resource: 'arn:x',
            Parameters: { 'x.$': '$.missing' },
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            End: true,
          },
          Caught: { Type: 'Succeed' },
        },
      },
      {},
      { Read: () => 1 },
    );
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });

  test('what it does not implement fails loudly, never as a catchable state error', async () => {
    await expect(
      run({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 1, End: true } } }, {}),
    ).rejects.toThrow('state type not implemented in this runner: Wait');
    await expect(
      run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:x', End: true } } }, {}),
    ).rejects.toThrow('no local handler for Task state T');
    await expect(
      run(
        {
          StartAt: 'F',
          States: { F: { Type: 'Pass', Parameters: { 'x.$': 'States.Hash($.a)' }, End: true } },
        },
        { a: 1 },
      ),
    ).rejects.toThrow('intrinsic function not implemented in this runner: States.Hash');
  });
});
