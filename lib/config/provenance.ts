/**
 * Which file a part of the config is written in, so that a config error can
 * say which file to edit. An environment's file (dev.ts) holds most fields,
 * but a shared module such as trackman-backend.ts writes the tables of a
 * source for every environment: an error in `sources[0].tables[2]` must send
 * the reader there, not to dev.ts.
 *
 * Config modules mark what they write with `definedIn`; `fileOf` walks a field
 * path through the input and returns the file of the deepest marked part.
 * The marks live in a WeakMap keyed by the input objects themselves, so a copy
 * (`structuredClone`, a spread) carries no mark and names no file.
 */
import * as path from 'node:path';

interface Origin {
  readonly file: string;
  /** The fields of the object that the file writes; every field when undefined. */
  readonly keys?: ReadonlySet<PropertyKey>;
}

const origins = new WeakMap<object, Origin>();

const REPOSITORY_ROOT = path.join(__dirname, '..', '..');

/**
 * Marks `value` as written in `file` (pass `__filename`) and returns it. A
 * shared module that fills some fields from its caller's arguments names
 * those in `except`: they belong to the caller's file.
 */
export function definedIn<T extends object>(
  file: string,
  value: T,
  options: { readonly except?: readonly PropertyKey[] } = {},
): T {
  const relative = path.isAbsolute(file) ? path.relative(REPOSITORY_ROOT, file) : file;
  const except = new Set(options.except ?? []);
  origins.set(value, {
    file: relative.split(path.sep).join('/'),
    keys: except.size === 0 ? undefined : new Set(Object.keys(value).filter((key) => !except.has(key))),
  });
  return value;
}

/** The file that writes the field at `fieldPath` of `input`, when a config module marked it. */
export function fileOf(input: unknown, fieldPath: readonly PropertyKey[]): string | undefined {
  let file: string | undefined;
  let node: unknown = input;
  for (const part of fieldPath) {
    if (typeof node !== 'object' || node === null) break;
    const origin = origins.get(node);
    if (origin !== undefined && (origin.keys === undefined || origin.keys.has(part))) file = origin.file;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  if (typeof node === 'object' && node !== null) {
    const origin = origins.get(node);
    if (origin !== undefined && origin.keys === undefined) file = origin.file;
  }
  return file;
}
