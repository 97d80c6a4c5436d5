/**
 * An offline evaluator of the identity policies in a synthesized template:
 * enough of IAM's logic to ask "may this role make this call?" without AWS.
 *
 * It resolves the template's intrinsics to fixed strings (see `resolveValue`),
 * then evaluates Allow/Deny statements with Action and Resource wildcards (`*`,
 * `?`, case-insensitive actions) and the condition operators the app uses:
 * StringEquals, StringLike, ArnEquals, ArnLike (any listed value matches; a
 * key absent from the request fails the condition). An explicit Deny wins.
 * Anything else it meets (NotAction, NotResource, other operators) throws, so
 * a policy it cannot read is never reported as allowing or denying.
 */

type Json = unknown;
type Resources = Record<string, { Type: string; Properties?: Record<string, Json> }>;

export interface Template {
  readonly Resources: Resources;
}

/** One API call as IAM sees it: the action, the resource ARN and the request's condition keys. */
export interface Request {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
}

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export const FAKE = { partition: 'aws', urlSuffix: 'amazonaws.com' };

/**
 * A template value as a string. Pseudo parameters become the stack's account
 * and region; `Ref` to a resource becomes `ref:<logical id>` (an IAM role's
 * name, a security configuration's name); `Fn::GetAtt` of a log group's Arn
 * is built from its LogGroupName the way CloudFormation does (with `:*`), other
 * `Fn::GetAtt`s become `getatt:<logical id>.<attribute>`; `Fn::GetStackOutput`
 * (a cross-stack reference) becomes `output:<output name>`.
 */
export function resolveValue(
  value: Json,
  template: Template,
  env: { account: string; region: string },
): string {
  const recurse = (v: Json): string => resolveValue(v, template, env);
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  const [fn, arg] = Object.entries(value as Record<string, Json>)[0];
  switch (fn) {
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, Json[]];
      return parts.map(recurse).join(separator);
    }
    case 'Ref': {
      const name = arg as string;
      if (name === 'AWS::Partition') return FAKE.partition;
      if (name === 'AWS::Region') return env.region;
      if (name === 'AWS::AccountId') return env.account;
      if (name === 'AWS::URLSuffix') return FAKE.urlSuffix;
      const resource = template.Resources[name];
      if (resource === undefined) throw new Error(`Ref to unknown ${name}`);
      // The Ref of a Glue security configuration is its name (AWS::Glue::SecurityConfiguration, Return values).
      const literalName = resource.Properties?.Name;
      if (resource.Type === 'AWS::Glue::SecurityConfiguration' && typeof literalName === 'string')
        return literalName;
      return `ref:${name}`;
    }
    case 'Fn::GetAtt': {
      const [id, attribute] = arg as [string, string];
      const resource = template.Resources[id];
      if (resource === undefined) throw new Error(`GetAtt of unknown ${id}`);
      if (resource.Type === 'AWS::Logs::LogGroup' && attribute === 'Arn') {
        const name = resource.Properties?.LogGroupName;
        if (typeof name !== 'string') throw new Error(`log group ${id} has no literal name`);
        return `arn:${FAKE.partition}:logs:${env.region}:${env.account}:log-group:${name}:*`;
      }
      return `getatt:${id}.${attribute}`;
    }
    case 'Fn::GetStackOutput':
      return `output:${(arg as { OutputName: string }).OutputName}`;
    default:
      throw new Error(`cannot resolve ${fn}`);
  }
}

function resolveDeep(value: Json, template: Template, env: { account: string; region: string }): Json {
  if (Array.isArray(value)) return value.map((v) => resolveDeep(v, template, env));
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return resolveValue(value, template, env);
    }
    return Object.fromEntries(
      Object.entries(value as Record<string, Json>).map(([k, v]) => [k, resolveDeep(v, template, env)]),
    );
  }
  return value;
}

/** Every identity-policy statement attached to a role (inline policies and AWS::IAM::Policy), resolved. */
export function statementsOfRole(
  template: Template,
  roleLogicalId: string,
  env: { account: string; region: string },
): Statement[] {
  const role = template.Resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
  if (role.Properties?.ManagedPolicyArns !== undefined) {
    throw new Error(`${roleLogicalId} has managed policies, which this evaluator cannot read`);
  }
  const documents: Json[] = ((role.Properties?.Policies as { PolicyDocument: Json }[] | undefined) ?? []).map(
    (p) => p.PolicyDocument,
  );
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties?.Roles as Json[] | undefined) ?? [];
    if (roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) {
      documents.push(resource.Properties?.PolicyDocument);
    }
  }
  return documents.flatMap(
    (doc) => (resolveDeep(doc, template, env) as { Statement: Statement[] }).Statement,
  );
}

/** IAM's wildcard match: `*` any run of characters, `?` one character. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

function conditionsHold(
  condition: Statement['Condition'],
  context: Readonly<Record<string, string>>,
): boolean {
  if (condition === undefined) return true;
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const actual = context[key];
      if (actual === undefined) return false;
      const values = list(expected);
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
          return values.includes(actual);
        case 'StringLike':
        case 'ArnLike':
          return values.some((v) => wildcardMatch(v, actual));
        default:
          throw new Error(`condition operator ${operator} is not supported by this evaluator`);
      }
    }),
  );
}

function statementMatches(statement: Statement, request: Request): boolean {
  for (const field of ['NotAction', 'NotResource', 'NotPrincipal']) {
    if (field in statement) throw new Error(`${field} is not supported by this evaluator`);
  }
  return (
    list(statement.Action).some((a) => wildcardMatch(a, request.action, true)) &&
    list(statement.Resource).some((r) => wildcardMatch(r, request.resource)) &&
    conditionsHold(statement.Condition, request.context ?? {})
  );
}

/** Whether the statements allow the request: some Allow matches and no Deny does. */
export function isAllowed(statements: readonly Statement[], request: Request): boolean {
  const matching = statements.filter((s) => statementMatches(s, request));
  return matching.some((s) => s.Effect === 'Allow') && !matching.some((s) => s.Effect === 'Deny');
}
