/**
 * Rules across environments: what one environment's schema cannot see.
 */

interface CatalogEncryptionInput {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly lake: { readonly manageCatalogEncryption: boolean };
}

/**
 * One line per account and region whose Data Catalog encryption settings more
 * than one environment manages. The settings are a single resource per account
 * and region (AWS::Glue::DataCatalogEncryptionSettings): two stacks that both
 * set them overwrite each other on every deploy, and whichever is destroyed
 * first can leave the catalog pointing at a deleted key.
 */
export function catalogEncryptionConflicts(configs: readonly CatalogEncryptionInput[]): string[] {
  const managers = new Map<string, string[]>();
  for (const config of configs) {
    if (!config.lake.manageCatalogEncryption) continue;
    const where = `${config.account}/${config.region}`;
    managers.set(where, [...(managers.get(where) ?? []), config.name]);
  }
  return [...managers.entries()]
    .filter(([, names]) => names.length > 1)
    .map(
      ([where, names]) =>
        `lake.manageCatalogEncryption: expected true in at most one environment per account and region; ` +
        `received true in ${names.join(', ')}, which share ${where} (set it false in all but one)`,
    );
}
