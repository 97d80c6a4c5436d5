/**
 * A small in-process executor of Amazon States Language (JSONPath query
 * language) for tests: enough to run the ingestion workflow's definition with
 * its Task states answered by local functions, and to fail loudly on anything
 * it does not implement rather than guess.
 *
 * Supported: Task (Parameters, ResultSelector, ResultPath, Retry, Catch), Pass,
 * Choice (the comparison operators below, And/Or/Not), Map (INLINE,
 * ItemsPath, ItemSelector, MaxConcurrency), Parallel (Branches, run one after
 * another; ResultSelector, ResultPath, Retry, Catch), Succeed and Fail (Error/ErrorPath,
 * Cause/CausePath); a Pass state in the JSONata query language (its Output, with
 * `$states.input`, evaluated by the jsonata package); InputPath and OutputPath; the context object (`$$.Execution`,
 * `$$.State`, `$$.Map.Item`); the intrinsic functions States.Format,
 * States.ArrayLength, States.ArrayContains, States.JsonToString,
 * States.StringToJson and States.Array. Retries do not wait. The semantics
 * follow the Amazon States Language specification (https://states-language.net/spec.html)
 * and the Step Functions developer guide's pages on input and output processing,
 * intrinsic functions and error handling.
 *
 * It replaces aws-local-stepfunctions, whose only published release asks for
 * Node.js 22 or later while this project runs on Node.js 20.
 */
import jsonata from 'jsonata';
import { JSONPath } from 'jsonpath-plus';

/** A state machine definition, as asl.ts produces it. */
export interface AslMachine {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
}

type AslState = Record<string, any>;

/** A Task state's local implementation: receives the effective input, returns the result or throws. */
export type TaskHandler = (input: unknown) => unknown;

export interface RunOptions {
  /** By Task state name. A Task without a handler fails the run with a clear error. */
  readonly taskHandlers: Record<string, TaskHandler>;
  /** `$$.Execution` of the context object. */
  readonly execution?: { readonly Id: string; readonly Name: string };
}

export type ExecutionOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string };

/** An error as a state raises it: `error` is the ASL error name (e.g. States.TaskFailed). */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
    this.name = 'StatesError';
  }
}

/** A bug in the definition or a feature this runner lacks: never caught by a Catch. */
class RunnerError extends Error {}

interface Context {
  readonly Execution: { Id: string; Name: string; Input: unknown };
  State?: { Name: string; EnteredTime: string; RetryCount?: number };
  Map?: { Item: { Index: number; Value: unknown } };
}

/** Runs `machine` on `input` and reports how the execution ended. */
export async function runStateMachine(
  machine: AslMachine,
  input: unknown,
  options: RunOptions,
): Promise<ExecutionOutcome> {
  const execution = options.execution ?? { Id: 'arn:aws:states:::execution:local:run', Name: 'run' };
  const context: Context = { Execution: { ...execution, Input: clone(input) } };
  try {
    const output = await runStates(machine, clone(input), context, options);
    return { status: 'SUCCEEDED', output };
  } catch (error) {
    if (error instanceof StatesError) return { status: 'FAILED', error: error.error, cause: error.cause };
    throw error;
  }
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

// ---------------------------------------------------------------------------------------------
// Paths

/** A path that names one node: `$`, `$.a.b`, `$.a[0]`, `$['a']`; no wildcard, filter, slice or union. */
function isReferencePath(path: string): boolean {
  return !/\*|\.\.|\?\(|:|,|@/.test(path.replace(/'[^']*'/g, ''));
}

/** Reads `path` ($ or $$) against input or context. A reference path gives its one value; others a list. */
function readPath(path: string, input: unknown, context: Context): unknown {
  const [json, jsonPath] = path.startsWith('$$') ? [context, path.slice(1)] : [input, path];
  if (!jsonPath.startsWith('$')) throw new RunnerError(`not a path: ${path}`);
  const found = JSONPath({ path: jsonPath, json: json as object, wrap: true }) as unknown[];
  if (!isReferencePath(jsonPath)) return found;
  if (found.length === 0) {
    throw new StatesError('States.Runtime', `The JSONPath ${path} could not be found in the input`);
  }
  return found[0];
}

/** The segments of a reference path such as `$.a.b` or `$.a['b'][0]`. */
function segments(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  const pattern = /\.([A-Za-z_$][\w$-]*)|\['([^']*)'\]|\[(\d+)\]/g;
  let rest = path.slice(1);
  let match: RegExpExecArray | null;
  while (rest.length > 0 && (match = pattern.exec(rest)) !== null && match.index === 0) {
    parts.push(match[1] ?? match[2] ?? Number(match[3]));
    rest = rest.slice(match[0].length);
    pattern.lastIndex = 0;
  }
  if (rest.length > 0) throw new RunnerError(`unsupported ResultPath: ${path}`);
  return parts;
}

/** `input` with `value` placed at the reference path `path` (ResultPath). */
function writePath(input: unknown, path: string | null | undefined, value: unknown): unknown {
  if (path === null) return input;
  if (path === undefined || path === '$') return value;
  const parts = segments(path);
  const root = clone(input) as Record<string | number, unknown>;
  if (typeof root !== 'object' || root === null) {
    throw new StatesError(
      'States.ResultPathMatchFailure',
      `cannot apply ResultPath ${path} to ${JSON.stringify(input)}`,
    );
  }
  let node = root;
  parts.slice(0, -1).forEach((part) => {
    if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
    node = node[part] as Record<string | number, unknown>;
  });
  node[parts[parts.length - 1]] = value;
  return root;
}

// ---------------------------------------------------------------------------------------------
// Payload templates and intrinsic functions

/** Resolves a payload template (Parameters, ResultSelector, ItemSelector). */
function resolveTemplate(template: unknown, input: unknown, context: Context): unknown {
  if (Array.isArray(template)) return template.map((item) => resolveTemplate(item, input, context));
  if (typeof template !== 'object' || template === null) return template;
  return Object.fromEntries(
    Object.entries(template).map(([key, value]) => {
      if (!key.endsWith('.$')) return [key, resolveTemplate(value, input, context)];
      if (typeof value !== 'string') throw new RunnerError(`${key} must be a path or an intrinsic function`);
      const resolved = value.startsWith('States.')
        ? evaluateIntrinsic(value, input, context)
        : readPath(value, input, context);
      return [key.slice(0, -2), resolved];
    }),
  );
}

type Token = {
  kind: 'string' | 'number' | 'path' | 'literal' | 'name' | 'punct';
  text: string;
  value?: unknown;
};

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', text: c });
      i += 1;
    } else if (c === "'") {
      let text = '';
      i += 1;
      while (i < source.length && source[i] !== "'") {
        if (source[i] === '\\') i += 1;
        text += source[i];
        i += 1;
      }
      if (source[i] !== "'") throw new RunnerError(`unterminated string in ${source}`);
      i += 1;
      tokens.push({ kind: 'string', text, value: text });
    } else if (c === '$') {
      let depth = 0;
      let j = i;
      while (j < source.length && (depth > 0 || !/[,)\s]/.test(source[j]))) {
        if (source[j] === '[' || source[j] === '(') depth += 1;
        if (source[j] === ']' || source[j] === ')') depth -= 1;
        j += 1;
      }
      tokens.push({ kind: 'path', text: source.slice(i, j) });
      i = j;
    } else {
      const match = /^(-?\d+(\.\d+)?)|^([A-Za-z][\w.]*)/.exec(source.slice(i));
      if (match === null) throw new RunnerError(`cannot read ${source.slice(i)} in ${source}`);
      if (match[1] !== undefined) tokens.push({ kind: 'number', text: match[1], value: Number(match[1]) });
      else if (['true', 'false', 'null'].includes(match[3])) {
        tokens.push({ kind: 'literal', text: match[3], value: JSON.parse(match[3]) });
      } else tokens.push({ kind: 'name', text: match[3] });
      i += match[0].length;
    }
  }
  return tokens;
}

function evaluateIntrinsic(source: string, input: unknown, context: Context): unknown {
  const tokens = tokenize(source);
  let position = 0;
  const next = () => tokens[position++];
  const expect = (text: string) => {
    const token = next();
    if (token?.text !== text) throw new RunnerError(`expected "${text}" in ${source}`);
  };
  const argument = (): unknown => {
    const token = next();
    if (token === undefined) throw new RunnerError(`unexpected end of ${source}`);
    if (token.kind === 'name') return call(token.text);
    if (token.kind === 'path') return readPath(token.text, input, context);
    if (token.kind === 'punct') throw new RunnerError(`unexpected "${token.text}" in ${source}`);
    return token.value;
  };
  const call = (name: string): unknown => {
    expect('(');
    const args: unknown[] = [];
    if (tokens[position]?.text !== ')') {
      args.push(argument());
      while (tokens[position]?.text === ',') {
        position += 1;
        args.push(argument());
      }
    }
    expect(')');
    return applyIntrinsic(name, args);
  };
  const first = next();
  if (first?.kind !== 'name') throw new RunnerError(`not an intrinsic function: ${source}`);
  const result = call(first.text);
  if (position !== tokens.length) throw new RunnerError(`trailing input in ${source}`);
  return result;
}

function applyIntrinsic(name: string, args: unknown[]): unknown {
  const fail = (why: string): never => {
    throw new StatesError('States.IntrinsicFailure', `${name}: ${why}`);
  };
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : fail('expected an array'));
  switch (name) {
    case 'States.Format': {
      const [template, ...values] = args;
      if (typeof template !== 'string') return fail('expected a template string');
      const parts = template.split('{}');
      if (parts.length - 1 !== values.length)
        return fail(`${parts.length - 1} placeholders, ${values.length} values`);
      return parts
        .map((part, i) => {
          if (i === values.length) return part;
          const value = values[i];
          return part + (typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
        })
        .join('');
    }
    case 'States.ArrayLength':
      return list(args[0]).length;
    case 'States.ArrayContains':
      return list(args[0]).some((item) => JSON.stringify(item) === JSON.stringify(args[1]));
    case 'States.JsonToString':
      return JSON.stringify(args[0]);
    case 'States.StringToJson':
      return typeof args[0] === 'string' ? (JSON.parse(args[0]) as unknown) : fail('expected a string');
    case 'States.Array':
      return args;
    default:
      throw new RunnerError(`intrinsic function not implemented in this runner: ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

function matches(errorEquals: readonly string[], error: string): boolean {
  return errorEquals.some((name) => name === error || (name === 'States.ALL' && error !== 'States.Runtime'));
}

/** Turns what a task handler threw into an ASL error: the error's name is its code, its message the cause. */
function toStatesError(thrown: unknown): StatesError {
  if (thrown instanceof StatesError) return thrown;
  if (thrown instanceof RunnerError) throw thrown;
  if (thrown instanceof Error) {
    return new StatesError(thrown.name === 'Error' ? 'States.TaskFailed' : thrown.name, thrown.message);
  }
  return new StatesError('States.TaskFailed', String(thrown));
}

// ---------------------------------------------------------------------------------------------
// States

async function runStates(
  machine: AslMachine,
  input: unknown,
  context: Context,
  options: RunOptions,
): Promise<unknown> {
  let name: string | undefined = machine.StartAt;
  let data = input;
  while (name !== undefined) {
    const state = machine.States[name];
    if (state === undefined) throw new RunnerError(`no state named ${name}`);
    context.State = { Name: name, EnteredTime: new Date(0).toISOString() };
    const step = await runState(name, state, data, context, options);
    data = step.output;
    name = step.next;
  }
  return data;
}

interface Step {
  readonly output: unknown;
  readonly next?: string;
}

/** InputPath, then the state's own work, then ResultPath and OutputPath (for the types that have them). */
async function runState(
  name: string,
  state: AslState,
  rawInput: unknown,
  context: Context,
  options: RunOptions,
): Promise<Step> {
  const input =
    state.InputPath === undefined
      ? rawInput
      : state.InputPath === null
        ? {}
        : readPath(state.InputPath, rawInput, context);
  const output = (result: unknown) => {
    const placed = writePath(input, state.ResultPath, result);
    return state.OutputPath === undefined
      ? placed
      : state.OutputPath === null
        ? {}
        : readPath(state.OutputPath, placed, context);
  };
  const next = (): string | undefined => (state.End === true ? undefined : (state.Next as string));

  if (state.QueryLanguage === 'JSONata') {
    if (state.Type !== 'Pass') {
      throw new RunnerError(`JSONata is implemented for Pass states only in this runner (${name})`);
    }
    const output = state.Output === undefined ? rawInput : await evaluateJsonata(state.Output, rawInput);
    return { output, next: state.End === true ? undefined : (state.Next as string) };
  }

  switch (state.Type) {
    case 'Pass': {
      const result =
        state.Parameters !== undefined
          ? resolveTemplate(state.Parameters, input, context)
          : (state.Result ?? input);
      return { output: output(result), next: next() };
    }
    case 'Succeed':
      return { output: state.OutputPath === undefined ? input : readPath(state.OutputPath, input, context) };
    case 'Fail': {
      const error = state.ErrorPath !== undefined ? readPath(state.ErrorPath, input, context) : state.Error;
      const cause = state.CausePath !== undefined ? readPath(state.CausePath, input, context) : state.Cause;
      throw new StatesError(String(error ?? ''), String(cause ?? ''));
    }
    case 'Choice': {
      const rule = (state.Choices as AslState[]).find((choice) => evaluateRule(choice, input, context));
      const target = rule?.Next ?? state.Default;
      if (target === undefined)
        throw new StatesError('States.NoChoiceMatched', `no choice of ${name} matched`);
      return {
        output: state.OutputPath === undefined ? input : readPath(state.OutputPath, input, context),
        next: target,
      };
    }
    case 'Task':
    case 'Map':
    case 'Parallel': {
      const effective =
        state.Parameters !== undefined ? resolveTemplate(state.Parameters, input, context) : input;
      try {
        let result = await withRetries(state, context, () =>
          state.Type === 'Task'
            ? runTask(name, effective, options)
            : state.Type === 'Map'
              ? runMap(state, effective, context, options)
              : runParallel(state, effective, context, options),
        );
        if (state.ResultSelector !== undefined)
          result = resolveTemplate(state.ResultSelector, result, context);
        return { output: output(result), next: next() };
      } catch (thrown) {
        const error = toStatesError(thrown);
        const catcher = ((state.Catch ?? []) as AslState[]).find((c) => matches(c.ErrorEquals, error.error));
        if (catcher === undefined) throw error;
        const placed = writePath(input, catcher.ResultPath, { Error: error.error, Cause: error.cause });
        return { output: placed, next: catcher.Next };
      }
    }
    default:
      throw new RunnerError(`state type not implemented in this runner: ${String(state.Type)} (${name})`);
  }
}

async function runTask(name: string, input: unknown, options: RunOptions): Promise<unknown> {
  const handler = options.taskHandlers[name];
  if (handler === undefined) throw new RunnerError(`no local handler for Task state ${name}`);
  return clone(await handler(clone(input)));
}

/** Runs `attempt`, retrying as the state's Retry says (without waiting). */
async function withRetries(
  state: AslState,
  context: Context,
  attempt: () => Promise<unknown>,
): Promise<unknown> {
  const retriers = (state.Retry ?? []) as AslState[];
  const used = retriers.map(() => 0);
  for (;;) {
    try {
      return await attempt();
    } catch (thrown) {
      const error = toStatesError(thrown);
      const index = retriers.findIndex((r) => matches(r.ErrorEquals, error.error));
      if (index < 0 || used[index] >= (retriers[index].MaxAttempts ?? 3)) throw error;
      used[index] += 1;
      if (context.State !== undefined) context.State.RetryCount = used[index];
    }
  }
}

/** Each branch on its own copy of the input, in order; the result lists their outputs in branch order. */
async function runParallel(
  state: AslState,
  input: unknown,
  context: Context,
  options: RunOptions,
): Promise<unknown[]> {
  const outputs: unknown[] = [];
  for (const branch of state.Branches as AslMachine[]) {
    outputs.push(await runStates(branch, clone(input), { Execution: context.Execution }, options));
  }
  return outputs;
}

async function runMap(
  state: AslState,
  input: unknown,
  context: Context,
  options: RunOptions,
): Promise<unknown[]> {
  const mode = state.ItemProcessor?.ProcessorConfig?.Mode ?? 'INLINE';
  if (mode !== 'INLINE') throw new RunnerError(`Map mode not implemented in this runner: ${String(mode)}`);
  const processor = (state.ItemProcessor ?? state.Iterator) as AslMachine;
  const items = state.ItemsPath === undefined ? input : readPath(state.ItemsPath, input, context);
  if (!Array.isArray(items))
    throw new StatesError('States.Runtime', `ItemsPath ${String(state.ItemsPath)} is not an array`);
  const limit =
    state.MaxConcurrency === undefined || state.MaxConcurrency === 0 ? items.length : state.MaxConcurrency;
  const results: unknown[] = new Array(items.length);
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < items.length) {
      const index = nextIndex++;
      const itemContext: Context = {
        Execution: context.Execution,
        Map: { Item: { Index: index, Value: clone(items[index]) } },
      };
      const itemInput =
        state.ItemSelector !== undefined
          ? resolveTemplate(state.ItemSelector, input, itemContext)
          : items[index];
      results[index] = await runStates(processor, clone(itemInput), itemContext, options);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/**
 * A JSONata state's template: strings of the form `{% expression %}` are evaluated with
 * `$states.input` bound; anything else is taken as it is. An expression that gives nothing leaves
 * its field out, as Step Functions does.
 */
async function evaluateJsonata(template: unknown, input: unknown): Promise<unknown> {
  if (typeof template === 'string') {
    const match = /^\{%([\s\S]*)%\}$/.exec(template);
    if (match === null) return template;
    try {
      return await jsonata(match[1]).evaluate({}, { states: { input } });
    } catch (error) {
      throw new StatesError('States.QueryEvaluationError', (error as Error).message);
    }
  }
  if (Array.isArray(template)) return Promise.all(template.map((item) => evaluateJsonata(item, input)));
  if (template === null || typeof template !== 'object') return template;
  const entries = await Promise.all(
    Object.entries(template).map(async ([key, value]) => [key, await evaluateJsonata(value, input)] as const),
  );
  return Object.fromEntries(entries.filter(([, value]) => value !== undefined));
}

// ---------------------------------------------------------------------------------------------
// Choice rules

const COMPARISONS: Record<string, (a: unknown, b: unknown) => boolean> = {
  StringEquals: (a, b) => typeof a === 'string' && a === b,
  StringLessThan: (a, b) => typeof a === 'string' && typeof b === 'string' && a < b,
  StringGreaterThan: (a, b) => typeof a === 'string' && typeof b === 'string' && a > b,
  NumericEquals: (a, b) => typeof a === 'number' && a === b,
  NumericLessThan: (a, b) => typeof a === 'number' && typeof b === 'number' && a < b,
  NumericLessThanEquals: (a, b) => typeof a === 'number' && typeof b === 'number' && a <= b,
  NumericGreaterThan: (a, b) => typeof a === 'number' && typeof b === 'number' && a > b,
  NumericGreaterThanEquals: (a, b) => typeof a === 'number' && typeof b === 'number' && a >= b,
  BooleanEquals: (a, b) => typeof a === 'boolean' && a === b,
  IsNull: (a, b) => (a === null) === b,
  IsBoolean: (a, b) => (typeof a === 'boolean') === b,
  IsNumeric: (a, b) => (typeof a === 'number') === b,
  IsString: (a, b) => (typeof a === 'string') === b,
};

function evaluateRule(rule: AslState, input: unknown, context: Context): boolean {
  if (rule.And !== undefined) return (rule.And as AslState[]).every((r) => evaluateRule(r, input, context));
  if (rule.Or !== undefined) return (rule.Or as AslState[]).some((r) => evaluateRule(r, input, context));
  if (rule.Not !== undefined) return !evaluateRule(rule.Not as AslState, input, context);
  const variable = rule.Variable as string;
  if (rule.IsPresent !== undefined) {
    const present = (JSONPath({ path: variable, json: input as object, wrap: true }) as unknown[]).length > 0;
    return present === rule.IsPresent;
  }
  const value = readPath(variable, input, context);
  for (const [operator, compare] of Object.entries(COMPARISONS)) {
    if (rule[operator] !== undefined) return compare(value, rule[operator]);
    if (rule[`${operator}Path`] !== undefined)
      return compare(value, readPath(rule[`${operator}Path`], input, context));
  }
  throw new RunnerError(`Choice rule not implemented in this runner: ${JSON.stringify(rule)}`);
}
