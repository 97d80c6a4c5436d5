/**
 * Jest snapshot serializer that replaces asset hashes with a placeholder, so a
 * handler or script edit does not churn every template snapshot.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

function containsHash(value: unknown): value is string {
  return typeof value === 'string' && /[0-9a-f]{64}/.test(value);
}

module.exports = {
  test: containsHash,
  serialize: (value: string) => JSON.stringify(value.replace(ASSET_HASH, '[ASSET HASH]')),
};
