/**
 * The CloudFormation templates of a synthesized cloud assembly, nested
 * assemblies (one per Stage) and nested stacks included, each under a name a
 * reviewer knows: the stack's display name (`Dev/Ingestion`), or for a nested
 * stack its construct path (`Dev/Ingestion/TableGroup3`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of a template the diff reads; the rest passes through untouched. */
export interface Template {
  readonly Resources?: Record<string, TemplateResource>;
  readonly [section: string]: unknown;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly [key: string]: unknown;
}

export interface StackTemplate {
  /** Display name, the key old and new assemblies are matched on. */
  readonly name: string;
  /** The deployed stack name; undefined for a nested stack (CloudFormation names it). */
  readonly stackName?: string;
  readonly template: Template;
}

interface ManifestArtifact {
  readonly type: string;
  readonly displayName?: string;
  readonly properties?: {
    readonly templateFile?: string;
    readonly stackName?: string;
    readonly directoryName?: string;
  };
}

const NESTED_STACK_TYPE = 'AWS::CloudFormation::Stack';
const ASSET_PATH = 'aws:asset:path';
const CDK_PATH = 'aws:cdk:path';

/** Every template of the assembly in `dir`, by display name. Throws if `dir` is no cloud assembly. */
export function readAssembly(dir: string): Map<string, StackTemplate> {
  const stacks = new Map<string, StackTemplate>();
  readInto(dir, stacks);
  return stacks;
}

function readInto(dir: string, stacks: Map<string, StackTemplate>): void {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`${dir} holds no cloud assembly (no manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, ManifestArtifact>;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      readInto(join(dir, artifact.properties.directoryName), stacks);
    } else if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const name = artifact.displayName ?? id;
      const template = readTemplate(join(dir, artifact.properties.templateFile));
      stacks.set(name, { name, stackName: artifact.properties.stackName, template });
      addNestedStacks(dir, name, template, stacks);
    }
  }
}

/** Nested stacks: a parent's AWS::CloudFormation::Stack resource names its template file as an asset. */
function addNestedStacks(
  dir: string,
  parentName: string,
  parent: Template,
  stacks: Map<string, StackTemplate>,
): void {
  for (const [logicalId, resource] of Object.entries(parent.Resources ?? {})) {
    const file = resource.Type === NESTED_STACK_TYPE ? resource.Metadata?.[ASSET_PATH] : undefined;
    if (typeof file !== 'string' || !existsSync(join(dir, file))) continue;
    const name = nestedStackName(resource.Metadata?.[CDK_PATH]) ?? `${parentName}/${logicalId}`;
    const template = readTemplate(join(dir, file));
    stacks.set(name, { name, template });
    addNestedStacks(dir, name, template, stacks);
  }
}

/** `Dev/Ingestion/TableGroup3.NestedStack/TableGroup3.NestedStackResource` -> `Dev/Ingestion/TableGroup3`. */
function nestedStackName(path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined;
  const at = path.indexOf('.NestedStack/');
  return at > 0 ? path.slice(0, at) : undefined;
}

function readTemplate(file: string): Template {
  return JSON.parse(readFileSync(file, 'utf8')) as Template;
}
