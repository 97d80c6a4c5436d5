/**
 * Plain Amazon States Language from a synthesized template, for tests that
 * validate a state machine definition or run it locally.
 *
 * CDK renders a `DefinitionString` as a `Fn::Join` whose parts hold references
 * (`Ref`, `Fn::GetAtt`, cross-stack `Fn::ImportValue` ...). The resolver here
 * replaces each reference with a dummy but well-formed ARN in the stack's
 * partition, region and account, and throws on any intrinsic it does not know,
 * so a new kind of reference fails loudly instead of leaving a token in the ASL.
 */
import { createRequire } from 'node:module';
import type { Template } from 'aws-cdk-lib/assertions';

/** Where the dummy ARNs point. */
export interface DummyEnvironment {
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** @default 'amazonaws.com' */
  readonly urlSuffix?: string;
  /** @default 'TestStack' */
  readonly stackName?: string;
}

/** The parts of a synthesized template the resolver reads. */
interface TemplateJson {
  readonly Resources?: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
  readonly Parameters?: Record<string, { readonly Default?: unknown }>;
}

/** An ASL document: a JSON object with at least StartAt and States. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, Record<string, unknown>>;
  readonly TimeoutSeconds?: number;
  readonly [field: string]: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `{ "Ref": ... }` or `{ "Fn::Xxx": ... }`: a one-key object that CloudFormation evaluates. */
function intrinsicName(value: Record<string, unknown>): string | undefined {
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const [key] = keys;
  return key === 'Ref' || key.startsWith('Fn::') ? key : undefined;
}

/**
 * Resolves the CloudFormation intrinsics in a value against a template:
 * `Ref` and `Fn::GetAtt` of the template's resources, pseudo parameters,
 * parameters with a default, `Fn::ImportValue`, `Fn::GetStackOutput` and
 * `Fn::Join`. Every other intrinsic throws, naming it and where it was found.
 */
export function resolveIntrinsics(value: unknown, template: TemplateJson, env: DummyEnvironment): unknown {
  const partition = env.partition ?? 'aws';
  const stackName = env.stackName ?? 'TestStack';
  const pseudo: Record<string, string> = {
    'AWS::Partition': partition,
    'AWS::Region': env.region,
    'AWS::AccountId': env.account,
    'AWS::URLSuffix': env.urlSuffix ?? 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:${partition}:cloudformation:${env.region}:${env.account}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
  };

  /** `AWS::SNS::Topic` `AlarmTopic` -> `arn:aws:sns:<region>:<account>:topic/AlarmTopic`. */
  const resourceArn = (logicalId: string, attribute: string | undefined, where: string): string => {
    const resource = template.Resources?.[logicalId];
    if (resource === undefined) {
      throw new Error(`${where}: no resource "${logicalId}" in the template`);
    }
    const [, service, kind] = resource.Type.split('::');
    if (service === undefined || kind === undefined) {
      throw new Error(
        `${where}: resource "${logicalId}" has type "${resource.Type}", expected AWS::<Service>::<Kind>`,
      );
    }
    const suffix = attribute === undefined || attribute === 'Arn' ? '' : `/${attribute}`;
    return `arn:${partition}:${service.toLowerCase()}:${env.region}:${env.account}:${kind.toLowerCase()}/${logicalId}${suffix}`;
  };

  const asString = (resolved: unknown, where: string): string => {
    if (typeof resolved !== 'string') {
      throw new Error(`${where}: expected a string, got ${JSON.stringify(resolved)}`);
    }
    return resolved;
  };

  const resolve = (node: unknown, where: string): unknown => {
    if (Array.isArray(node)) return node.map((item, i) => resolve(item, `${where}[${i}]`));
    if (!isObject(node)) return node;
    const name = intrinsicName(node);
    if (name === undefined) {
      return Object.fromEntries(
        Object.entries(node).map(([key, item]) => [key, resolve(item, `${where}.${key}`)]),
      );
    }
    const arg = node[name];
    const at = `${where}.${name}`;
    switch (name) {
      case 'Ref': {
        const target = asString(arg, at);
        if (Object.hasOwn(pseudo, target)) return pseudo[target];
        if (target.startsWith('AWS::')) throw new Error(`${at}: unsupported pseudo parameter "${target}"`);
        const parameter = template.Parameters?.[target];
        if (parameter !== undefined) {
          if (parameter.Default === undefined) throw new Error(`${at}: parameter "${target}" has no default`);
          return parameter.Default;
        }
        return resourceArn(target, undefined, at);
      }
      case 'Fn::GetAtt': {
        const parts = typeof arg === 'string' ? arg.split('.') : arg;
        if (!Array.isArray(parts) || parts.length !== 2) {
          throw new Error(`${at}: expected [logicalId, attribute], got ${JSON.stringify(arg)}`);
        }
        return resourceArn(asString(parts[0], at), asString(resolve(parts[1], at), at), at);
      }
      case 'Fn::ImportValue': {
        const exportName = asString(resolve(arg, at), at);
        return `arn:${partition}:cloudformation:${env.region}:${env.account}:export/${exportName}`;
      }
      case 'Fn::GetStackOutput': {
        const spec = resolve(arg, at);
        if (!isObject(spec))
          throw new Error(`${at}: expected { StackName, OutputName }, got ${JSON.stringify(arg)}`);
        const region = spec.Region === undefined ? env.region : asString(spec.Region, `${at}.Region`);
        const roleAccount = typeof spec.RoleArn === 'string' ? spec.RoleArn.split(':')[4] : undefined;
        const stack = asString(spec.StackName, `${at}.StackName`);
        const output = asString(spec.OutputName, `${at}.OutputName`);
        return `arn:${partition}:cloudformation:${region}:${roleAccount ?? env.account}:stack/${stack}/output/${output}`;
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg) || arg.length !== 2 || !Array.isArray(arg[1])) {
          throw new Error(`${at}: expected [delimiter, [values]], got ${JSON.stringify(arg)}`);
        }
        const delimiter = asString(arg[0], `${at}[0]`);
        const values: unknown[] = arg[1];
        return values
          .map((item, i) => asString(resolve(item, `${at}[1][${i}]`), `${at}[1][${i}]`))
          .join(delimiter);
      }
      default:
        throw new Error(`${at}: unsupported intrinsic ${name}; teach test/helpers/asl.ts to resolve it`);
    }
  };

  return resolve(value, '$');
}

/**
 * The plain ASL of a template's state machine: its `DefinitionString` resolved,
 * `DefinitionSubstitutions` applied, parsed. `logicalId` picks one when the
 * template has several.
 */
export function stateMachineAsl(
  template: Template,
  env: DummyEnvironment,
  logicalId?: string,
): AslDefinition {
  const json = template.toJSON() as TemplateJson;
  const machines = Object.entries(json.Resources ?? {}).filter(
    ([id, resource]) =>
      resource.Type === 'AWS::StepFunctions::StateMachine' && (logicalId === undefined || id === logicalId),
  );
  if (machines.length !== 1) {
    throw new Error(
      `Expected one AWS::StepFunctions::StateMachine${logicalId === undefined ? '' : ` "${logicalId}"`}, found ${machines.length}: ${machines.map(([id]) => id).join(', ')}`,
    );
  }
  const [id, machine] = machines[0];
  const properties = machine.Properties ?? {};
  const resolved = resolveIntrinsics(properties.DefinitionString, json, env);
  if (typeof resolved !== 'string') {
    throw new Error(`${id}.DefinitionString resolved to ${typeof resolved}, expected a string`);
  }
  let definition = resolved;
  const substitutions = resolveIntrinsics(properties.DefinitionSubstitutions ?? {}, json, env);
  for (const [name, value] of Object.entries(substitutions as Record<string, unknown>)) {
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new Error(
        `${id}.DefinitionSubstitutions.${name} resolved to ${JSON.stringify(value)}, expected a string`,
      );
    }
    definition = definition.split(`\${${name}}`).join(String(value));
  }
  const parsed: unknown = JSON.parse(definition);
  if (!isObject(parsed) || typeof parsed.StartAt !== 'string' || !isObject(parsed.States)) {
    throw new Error(`${id}.DefinitionString is not an ASL document (no StartAt or States)`);
  }
  return parsed as AslDefinition;
}

/** What asl-validator reports. */
export interface AslValidation {
  readonly isValid: boolean;
  readonly errors: readonly { readonly message?: string; readonly [field: string]: unknown }[];
  readonly errorsText: (separator?: string) => string;
}

type AslValidator = (
  definition: unknown,
  options?: { readonly checkPaths?: boolean; readonly checkArn?: boolean },
) => AslValidation;

// asl-validator ships no type declarations; it is loaded with a typed signature instead.
const aslValidator = createRequire(__filename)('asl-validator') as AslValidator;

/** Validates an ASL document with asl-validator, JSONPath and ARN checks on. */
export function validateAsl(definition: AslDefinition): AslValidation {
  // The validator fills in QueryLanguage on the states it is given: hand it a copy.
  return aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
}
