/**
 * Renders docs/configuration.md from the config schema (lib/config/schema.ts).
 *
 *   npx tsx scripts/config-reference.ts           write docs/configuration.md
 *   npx tsx scripts/config-reference.ts --check   exit 1 when the committed file is out of date
 *
 * The schema is read through zod's JSON Schema export of the input type, so
 * "required" and "default" are what a config file author sees: a field with a
 * default may be left out. Each object gets its own table; a discriminated
 * union gets one table per variant.
 *
 * `renderConfigReference` is synchronous so that a jest test can compare the
 * committed file with it (prettier 3 formats asynchronously and cannot run
 * inside jest's module sandbox). It therefore writes Markdown the way prettier
 * prints it (aligned tables), and this script checks that prettier leaves the
 * text unchanged before writing, so `prettier --check` and the test agree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { DeliveryConfigSchema } from '../lib/config/delivery-schema';
import { EnvironmentConfigSchema } from '../lib/config/schema';

type JsonSchema = z.core.JSONSchema.JSONSchema;

export const CONFIG_REFERENCE_PATH = path.join(__dirname, '..', 'docs', 'configuration.md');

/** One object table of the document. */
interface Section {
  /** Field path in the config, `sources[].tables[].lake`; empty for the root. */
  readonly path: string;
  /** The heading of a root: which config it is. */
  readonly title?: string;
  /** The discriminator value when the object is one variant of a union. */
  readonly variant?: { readonly key: string; readonly value: string };
  readonly description: string;
  readonly node: JsonSchema;
}

const ROOT_TITLE = 'Environment config';
const DELIVERY_TITLE = 'Delivery config';

/** The root and every nested object, depth first in field order. */
function collectSections(root: JsonSchema, title: string): Section[] {
  const sections: Section[] = [];
  const visit = (section: Section): void => {
    sections.push(section);
    for (const [key, child] of Object.entries(section.node.properties ?? {})) {
      for (const nested of objectsWithin(joinPath(section.path, key), asSchema(child))) visit(nested);
    }
  };
  visit({ path: '', title, description: root.description ?? '', node: root });
  return sections;
}

/** The object sections a field holds: itself, its list items, or each union variant. */
function objectsWithin(fieldPath: string, node: JsonSchema): Section[] {
  if (node.type === 'array' && node.items !== undefined) {
    // The item's description says what one item is; the list's own is in its parent's table.
    return objectsWithin(`${fieldPath}[]`, asSchema(node.items));
  }
  if (node.type === 'object') {
    return [{ path: fieldPath, description: node.description ?? '', node }];
  }
  const variants = node.oneOf ?? node.anyOf;
  if (variants?.some((variant) => variant.type === 'object') === true) {
    return variants.map((variant) => {
      const variantOf = discriminatorOf(variant);
      const own = asSchema(variant.properties?.[variantOf.key] ?? {}).description;
      return {
        path: fieldPath,
        variant: variantOf,
        description: [node.description, own].filter(Boolean).join(' '),
        node: variant,
      };
    });
  }
  return [];
}

/** The field whose constant value tells the variants of a union apart. */
function discriminatorOf(variant: JsonSchema): { key: string; value: string } {
  for (const [key, property] of Object.entries(variant.properties ?? {})) {
    const constant = asSchema(property).const;
    if (typeof constant === 'string') return { key, value: constant };
  }
  throw new Error(`A union variant without a constant discriminator field: ${JSON.stringify(variant)}`);
}

function asSchema(node: z.core.JSONSchema._JSONSchema | z.core.JSONSchema._JSONSchema[]): JsonSchema {
  if (typeof node === 'boolean' || Array.isArray(node)) {
    throw new Error(`Unsupported JSON Schema node: ${JSON.stringify(node)}`);
  }
  if (node.$ref !== undefined) {
    throw new Error(`Unsupported $ref ${node.$ref}: the renderer expects every schema inlined`);
  }
  return node;
}

function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function sectionTitle(section: Section): string {
  if (section.path === '') return section.title ?? ROOT_TITLE;
  const variant = section.variant;
  return variant === undefined
    ? `\`${section.path}\``
    : `\`${section.path}\` with \`${variant.key}: '${variant.value}'\``;
}

/** The anchor GitHub gives a heading (github-slugger, for ASCII text). */
function anchor(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

function link(section: Section): string {
  const title = sectionTitle(section);
  return `[${title}](#${anchor(title)})`;
}

function code(text: string): string {
  return `\`${text}\``;
}

function literal(value: unknown): string {
  return typeof value === 'string' ? code(`'${value}'`) : code(JSON.stringify(value));
}

function choices(values: readonly unknown[]): string {
  const shown = values.map(literal);
  return shown.length === 2 ? `${shown[0]} or ${shown[1]}` : `one of ${shown.join(', ')}`;
}

/** "integer from 2 to 6", "integer, greater than 0"; zod's safe-integer bounds are left out. */
function numberType(node: JsonSchema): string {
  const noun = node.type === 'integer' ? 'integer' : 'number';
  const min = node.minimum !== undefined && node.minimum > Number.MIN_SAFE_INTEGER ? node.minimum : undefined;
  const max = node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER ? node.maximum : undefined;
  const above = typeof node.exclusiveMinimum === 'number' ? node.exclusiveMinimum : undefined;
  if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
  const limits = [
    min !== undefined ? `at least ${min}` : undefined,
    above !== undefined ? `greater than ${above}` : undefined,
    max !== undefined ? `at most ${max}` : undefined,
  ].filter((limit) => limit !== undefined);
  return [noun, ...limits].join(', ');
}

function stringType(node: JsonSchema, plural: boolean): string {
  if (node.format === 'email') return plural ? 'e-mail addresses' : 'e-mail address';
  const noun = plural ? 'strings' : 'string';
  return node.pattern === undefined ? noun : `${noun} matching ${code(node.pattern)}`;
}

/** What a field accepts, with links to the tables of nested objects. */
function typeOf(fieldPath: string, node: JsonSchema, sectionsByPath: Map<string, Section[]>): string {
  if (node.const !== undefined) return literal(node.const);
  if (node.enum !== undefined) return choices(node.enum);
  const variants = node.oneOf ?? node.anyOf;
  if (variants !== undefined) {
    if (variants.every((variant) => variant.const !== undefined)) {
      return choices(variants.map((variant) => variant.const));
    }
    return `one of ${sectionLinks(fieldPath, sectionsByPath).join(', ')}`;
  }
  switch (node.type) {
    case 'object':
      return `object: ${sectionLinks(fieldPath, sectionsByPath).join(', ')}`;
    case 'array': {
      const items = asSchema(node.items ?? {});
      const min = node.minItems === undefined ? '' : `, at least ${node.minItems}`;
      return `list of ${itemsOf(`${fieldPath}[]`, items, sectionsByPath)}${min}`;
    }
    case 'string':
      return stringType(node, false);
    case 'integer':
    case 'number':
      return numberType(node);
    case 'boolean':
      return 'boolean';
    default:
      throw new Error(`No rendering for the type of ${fieldPath}: ${JSON.stringify(node)}`);
  }
}

function itemsOf(itemPath: string, items: JsonSchema, sectionsByPath: Map<string, Section[]>): string {
  if (items.type === 'string') return stringType(items, true);
  if (items.type === 'object') return `${sectionLinks(itemPath, sectionsByPath).join(', ')} objects`;
  return `items of type ${typeOf(itemPath, items, sectionsByPath)}`;
}

function sectionLinks(fieldPath: string, sectionsByPath: Map<string, Section[]>): string[] {
  const sections = sectionsByPath.get(fieldPath);
  if (sections === undefined) throw new Error(`No section rendered for ${fieldPath}`);
  return sections.map(link);
}

/** Splits `... @default <text>` off a description. */
function splitDefaultTag(description: string): { text: string; tag?: string } {
  const match = /^(.*?)\s*@default\s+(.*)$/s.exec(description);
  if (match === null) return { text: description.trim() };
  return { text: (match[1] ?? '').trim(), tag: (match[2] ?? '').trim() };
}

/**
 * The Default cell: the schema's default, plus what the description's
 * `@default` tag adds ("(100 GiB)"). A tag that disagrees with the schema is
 * an error, so the prose cannot drift from the value that applies.
 */
function defaultOf(fieldPath: string, node: JsonSchema, required: boolean, tag: string | undefined): string {
  if ('default' in node) {
    const value = JSON.stringify(node.default);
    if (tag === undefined) {
      // An object that defaults to {} is filled in field by field.
      return value === '{}' ? `${code(value)}: each field at its default` : code(value);
    }
    if (!tag.startsWith(value)) {
      throw new Error(
        `${fieldPath}: the description says "@default ${tag}" but the schema default is ${value}; fix the description`,
      );
    }
    const rest = tag.slice(value.length).trim();
    return rest === '' ? code(value) : `${code(value)} ${rest}`;
  }
  if (tag !== undefined) {
    if (!tag.startsWith('- ')) {
      throw new Error(
        `${fieldPath}: the description says "@default ${tag}" but the schema has no default; ` +
          'use "@default - <what happens when unset>" or add the default to the schema',
      );
    }
    return `unset: ${tag.slice(2)}`;
  }
  return required ? '' : 'unset';
}

function escapeCell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** A GitHub table with aligned columns, as prettier prints it. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows].map((row) => row.map(escapeCell));
  const widths = header.map((_, column) => Math.max(3, ...all.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;
  const [head, ...body] = all;
  return [line(head ?? []), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

function renderSection(section: Section, sectionsByPath: Map<string, Section[]>): string {
  const required = new Set(section.node.required ?? []);
  const rows = Object.entries(section.node.properties ?? {}).map(([key, property]) => {
    const node = asSchema(property);
    const fieldPath = joinPath(section.path, key);
    const { text, tag } = splitDefaultTag(node.description ?? '');
    const isRequired = required.has(key);
    return [
      code(key),
      typeOf(fieldPath, node, sectionsByPath),
      isRequired ? 'yes' : 'no',
      defaultOf(fieldPath, node, isRequired, tag),
      text,
    ];
  });
  // The section repeats its field's description; the default belongs to the field's row.
  const intro = splitDefaultTag(section.description).text;
  return [
    `## ${sectionTitle(section)}`,
    ...(intro === '' ? [] : [intro]),
    table(['Field', 'Type', 'Required', 'Default', 'Description'], rows),
  ].join('\n\n');
}

const INTRO = `# Configuration reference

<!-- Generated by scripts/config-reference.ts from lib/config/schema.ts and lib/config/delivery-schema.ts. Do not edit by hand. -->

Every environment has one config file in \`lib/config/environments/\` (\`dev.ts\`, \`prod.ts\`). \`loadConfig\` validates it against the schema in \`lib/config/schema.ts\` at synth time and fills in the defaults; a field with a default may be left out.

This file is generated from that schema: do not edit it by hand. After changing the schema, regenerate it with \`npm run docs:config\` (\`npx tsx scripts/config-reference.ts\`); \`test/config/config-reference.test.ts\` fails while it is out of date, and \`npx tsx scripts/config-reference.ts --check\` reports the same without writing.

Besides the rules of each field below, validation checks rules that span fields: source names and the tables within a source are unique, Deep Archive comes after Intelligent-Tiering, a named bucket is retained, retry delays are consistent, imported subnets match their Availability Zones and route tables, NAT gateways do not outnumber Availability Zones, a peered VPC does not overlap this one, and the ingestion settings can meet \`slo.lakeFreshnessMinutes\` (\`lib/config/slo-budget.ts\` shows the arithmetic).

The optional delivery pipeline has one config for the whole app, not one per environment: \`DELIVERY\` in \`lib/config/delivery.ts\`, checked against \`lib/config/delivery-schema.ts\` at synth time. It is unset by default, and then no pipeline is built; [Delivery config](#delivery-config) lists its fields, and [deploying.md](deploying.md#delivery-pipeline-optional) the setup.`;

/** The sections of one config and their tables. */
function renderConfig(schema: z.ZodType, title: string): { sections: Section[]; body: string[] } {
  const root = z.toJSONSchema(schema, { io: 'input', reused: 'inline', cycles: 'throw' });
  const sections = collectSections(root, title);
  const sectionsByPath = new Map<string, Section[]>();
  for (const section of sections) {
    sectionsByPath.set(section.path, [...(sectionsByPath.get(section.path) ?? []), section]);
  }
  return { sections, body: sections.map((section) => renderSection(section, sectionsByPath)) };
}

/**
 * docs/configuration.md as it should be committed: the environment config,
 * then the app-level delivery config. The schemas are parameters for tests of the renderer.
 */
export function renderConfigReference(
  schema: z.ZodType = EnvironmentConfigSchema,
  deliverySchema: z.ZodType = DeliveryConfigSchema,
): string {
  const configs = [renderConfig(schema, ROOT_TITLE), renderConfig(deliverySchema, DELIVERY_TITLE)];
  const contents = configs
    .flatMap((config) => config.sections)
    .map((section) => `- ${link(section)}`)
    .join('\n');
  return `${[INTRO, contents, ...configs.flatMap((config) => config.body)].join('\n\n')}\n`;
}

/** Line number (1-based) of the first difference between two texts. */
function firstDifference(a: string, b: string): number {
  const left = a.split('\n');
  const right = b.split('\n');
  const index = left.findIndex((line, i) => line !== right[i]);
  return (index === -1 ? left.length : index) + 1;
}

async function main(args: readonly string[]): Promise<number> {
  const rendered = renderConfigReference();
  // Loaded here, not at the top: prettier's CommonJS entry starts a dynamic import that jest cannot run.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(CONFIG_REFERENCE_PATH)) ?? {};
  const formatted = await prettier.format(rendered, { ...options, parser: 'markdown' });
  if (formatted !== rendered) {
    console.error(
      `scripts/config-reference.ts: prettier would reformat the rendered reference (line ${firstDifference(rendered, formatted)}); ` +
        'make renderConfigReference print what prettier prints, so the doc test and prettier --check agree.',
    );
    return 2;
  }
  const relative = path.relative(process.cwd(), CONFIG_REFERENCE_PATH);
  if (args.includes('--check')) {
    let committed: string | undefined;
    try {
      committed = readFileSync(CONFIG_REFERENCE_PATH, 'utf8');
    } catch {
      committed = undefined;
    }
    if (committed === rendered) {
      console.log(`${relative} is up to date with lib/config/schema.ts.`);
      return 0;
    }
    const where =
      committed === undefined
        ? 'the file is missing'
        : `first difference at line ${firstDifference(committed, rendered)}`;
    console.error(
      `${relative} is out of date with lib/config/schema.ts (${where}). Run \`npm run docs:config\` and commit the result.`,
    );
    return 1;
  }
  writeFileSync(CONFIG_REFERENCE_PATH, rendered);
  console.log(`Wrote ${relative}.`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (exitCode) => {
      process.exitCode = exitCode;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
