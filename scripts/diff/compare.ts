/**
 * What changes between two cloud assemblies, stack by stack, with
 * `@aws-cdk/cloudformation-diff` (the library behind `cdk diff`): resources
 * added, removed, replaced and updated, IAM and security-group changes, and
 * the stateful resources a deploy would replace or delete. Pure: templates in,
 * a summary out.
 */
import { fullDiff, ResourceImpact, type ResourceDifference } from '@aws-cdk/cloudformation-diff';
import type { StackTemplate, Template, TemplateResource } from './assembly';

/**
 * Resource types that hold data or identity a replacement or deletion loses: objects, keys (and
 * everything encrypted with them), databases, logs, backups, catalog metadata, secrets, queued
 * messages. A resource of another type counts as stateful when it is retained or snapshotted.
 */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::Logs::LogGroup',
  'AWS::Backup::BackupVault',
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::SecretsManager::Secret',
  'AWS::SQS::Queue',
  'AWS::DynamoDB::Table',
  'AWS::Kinesis::Stream',
  'AWS::Redshift::Cluster',
  'AWS::RedshiftServerless::Namespace',
  // A new replication loses its change-capture position: a full load of every table, and a slot left behind.
  'AWS::DMS::ReplicationTask',
  'AWS::DMS::ReplicationConfig',
  'AWS::DMS::ReplicationInstance',
  // A new topic's email subscriptions wait for confirmation: alarms reach nobody until then.
  'AWS::SNS::Topic',
  // A new peering must be accepted again, and the other side's routes name the old one.
  'AWS::EC2::VPCPeeringConnection',
  // A gap in the audit trail.
  'AWS::CloudTrail::Trail',
  // Removing it empties its bucket.
  'Custom::S3AutoDeleteObjects',
  // Replacing or removing a nested stack deletes every resource in it.
  'AWS::CloudFormation::Stack',
]);

const KEPT_POLICIES = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot']);

export type Impact = 'add' | 'remove' | 'replace' | 'may-replace' | 'update' | 'orphan' | 'import';

export interface ResourceChange {
  readonly logicalId: string;
  readonly type: string;
  /** Construct path from the template metadata, when synth wrote it. */
  readonly path?: string;
  readonly impact: Impact;
  /** Properties that change (updates and replacements). */
  readonly properties: readonly string[];
  readonly stateful: boolean;
}

export interface StackDiff {
  readonly name: string;
  readonly stackName?: string;
  /** The whole stack is new or goes away. */
  readonly status: 'added' | 'removed' | 'changed';
  readonly resources: readonly ResourceChange[];
  /** Changes outside Resources (outputs, parameters, conditions, mappings, metadata...). */
  readonly otherChanges: number;
  /** IAM statement changes as table rows, header first; empty when none. */
  readonly iamStatements: readonly (readonly string[])[];
  /** Managed policy attachments added or removed, as table rows, header first; empty when none. */
  readonly managedPolicies: readonly (readonly string[])[];
  /** Allow statements or managed policies are added (cdk diff's "broadened"; a rewrite counts too). */
  readonly iamBroadened: boolean;
  /** Security-group rule changes as table rows, header first; empty when none. */
  readonly securityGroups: readonly (readonly string[])[];
}

export interface AssemblyDiff {
  /** Only stacks with a difference, in display-name order. */
  readonly stacks: readonly StackDiff[];
  readonly unchangedStacks: number;
  /** Stateful resources a deploy replaces, may replace, deletes or orphans. */
  readonly statefulAlerts: readonly (ResourceChange & { readonly stack: string })[];
}

const IMPACTS: Partial<Record<ResourceImpact, Impact>> = {
  [ResourceImpact.WILL_CREATE]: 'add',
  [ResourceImpact.WILL_DESTROY]: 'remove',
  [ResourceImpact.WILL_REPLACE]: 'replace',
  [ResourceImpact.MAY_REPLACE]: 'may-replace',
  [ResourceImpact.WILL_UPDATE]: 'update',
  [ResourceImpact.WILL_ORPHAN]: 'orphan',
  [ResourceImpact.WILL_IMPORT]: 'import',
};

const CHANGE_IMPACTS: ReadonlySet<Impact> = new Set(['replace', 'may-replace', 'update']);
const ALERT_IMPACTS: ReadonlySet<Impact> = new Set(['remove', 'replace', 'may-replace', 'orphan']);

export function compareAssemblies(
  before: ReadonlyMap<string, StackTemplate>,
  after: ReadonlyMap<string, StackTemplate>,
): AssemblyDiff {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const stacks: StackDiff[] = [];
  for (const name of names) {
    const old = before.get(name);
    const next = after.get(name);
    const diff = compareStacks(name, old?.template, next?.template, (next ?? old)?.stackName);
    if (diff !== undefined) stacks.push(diff);
  }
  return {
    stacks,
    unchangedStacks: names.length - stacks.length,
    statefulAlerts: stacks.flatMap((stack) =>
      stack.resources.filter(losesState).map((change) => ({ ...change, stack: stack.name })),
    ),
  };
}

/** A stateful resource that a deploy replaces, may replace, deletes or leaves behind. */
export function losesState(change: ResourceChange): boolean {
  return change.stateful && ALERT_IMPACTS.has(change.impact);
}

/** One stack's differences; undefined when there are none. A missing side is an empty stack. */
export function compareStacks(
  name: string,
  before: Template | undefined,
  after: Template | undefined,
  stackName?: string,
): StackDiff | undefined {
  const diff = fullDiff(withoutMetadata(before), withoutMetadata(after));
  if (diff.isEmpty) return undefined;
  const resources: ResourceChange[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    resources.push(resourceChange(logicalId, change));
  });
  return {
    name,
    stackName,
    status: before === undefined ? 'added' : after === undefined ? 'removed' : 'changed',
    resources,
    otherChanges: diff.differenceCount - diff.resources.differenceCount,
    iamStatements: withoutHeaderOnly(diff.iamChanges.summarizeStatements()),
    managedPolicies: withoutHeaderOnly(diff.iamChanges.summarizeManagedPolicies()),
    iamBroadened: diff.permissionsBroadened,
    securityGroups: withoutHeaderOnly(diff.securityGroupChanges.summarize()),
  };
}

function resourceChange(logicalId: string, change: ResourceDifference): ResourceChange {
  const old = change.oldValue as TemplateResource | undefined;
  const next = change.newValue as TemplateResource | undefined;
  const path = (next ?? old)?.Metadata?.['aws:cdk:path'];
  const type = change.newResourceType ?? change.oldResourceType ?? 'unknown';
  const impact: Impact = change.isAddition
    ? 'add'
    : change.isRemoval && change.changeImpact !== ResourceImpact.WILL_ORPHAN
      ? 'remove'
      : (IMPACTS[change.changeImpact] ?? 'update');
  return {
    logicalId,
    type,
    path: typeof path === 'string' ? path : undefined,
    impact,
    // What an addition or removal carries is all of it: name the properties of a change only.
    properties: CHANGE_IMPACTS.has(impact)
      ? [
          ...Object.keys(change.propertyUpdates),
          ...Object.keys(change.otherChanges).filter((key) => key !== 'Metadata'),
        ].sort()
      : [],
    // The old resource decides: it is the one a replacement or deletion loses.
    stateful: STATEFUL_TYPES.has(type) || isKept(old ?? next),
  };
}

function isKept(resource: TemplateResource | undefined): boolean {
  return (
    KEPT_POLICIES.has(resource?.DeletionPolicy ?? '') ||
    KEPT_POLICIES.has(resource?.UpdateReplacePolicy ?? '')
  );
}

/**
 * The template without CDK's own analytics resource (AWS::CDK::Metadata: the construct types and
 * props used), which changes with the code that builds a resource, never with what deploys: left out
 * so that a refactor that deploys the same reads as no difference.
 */
function withoutMetadata(template: Template | undefined): Template {
  if (template === undefined) return {};
  const resources = Object.entries(template.Resources ?? {}).filter(
    ([, resource]) => resource.Type !== 'AWS::CDK::Metadata',
  );
  return { ...template, Resources: Object.fromEntries(resources) };
}

/** A table with only its header says nothing: drop it. */
function withoutHeaderOnly(rows: string[][]): string[][] {
  return rows.length > 1 ? rows : [];
}
