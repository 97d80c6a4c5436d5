import { buildApp } from '../../lib/app';
import { ConfigErrors, type EnvironmentConfigInput } from '../../lib/config';
import { catalogEncryptionConflicts } from '../../lib/config/cross-environment';
import { devLike, prodLike } from '../fixtures/configs';
import { problemsOf } from '../helpers/config-problems';

const withNetwork = (network: Record<string, unknown>): EnvironmentConfigInput =>
  ({
    ...structuredClone(devLike),
    network: { mode: 'create', cidr: '10.40.0.0/20', maxAzs: 2, ...network },
  }) as EnvironmentConfigInput;

describe('Data Catalog encryption and destroy', () => {
  test('a destroy environment may not manage the account-wide catalog encryption', () => {
    const config = structuredClone(devLike);
    config.lake = { ...config.lake, manageCatalogEncryption: true };
    expect(problemsOf(config)).toEqual([
      "lake.manageCatalogEncryption: expected false when removalPolicy is 'destroy': the account-wide Data Catalog " +
        'encryption would be left pointing at the lake key this environment deletes (let an environment with ' +
        'removalPolicy retain manage it); received true',
    ]);
  });

  test('the fixtures as they are validate (the rule does not fire on them)', () => {
    expect(problemsOf(devLike)).toEqual([]);
    expect(problemsOf(prodLike)).toEqual([]);
  });
});

describe('two environments in one account and region', () => {
  const managing = (name: string, account: string) => ({
    name,
    account,
    region: 'eu-west-1',
    lake: { manageCatalogEncryption: true },
  });

  test('cannot both manage the catalog encryption: one line naming both', () => {
    expect(
      catalogEncryptionConflicts([managing('dev', '111111111111'), managing('prod', '111111111111')]),
    ).toEqual([
      'lake.manageCatalogEncryption: expected true in at most one environment per account and region; ' +
        'received true in dev, prod, which share 111111111111/eu-west-1 (set it false in all but one)',
    ]);
  });

  test('may when only one manages it, or when their accounts differ', () => {
    expect(
      catalogEncryptionConflicts([
        managing('dev', '111111111111'),
        { ...managing('qa', '111111111111'), lake: { manageCatalogEncryption: false } },
        managing('prod', '222222222222'),
      ]),
    ).toEqual([]);
  });

  test('synth fails with that line', () => {
    const sharedAccount = { ...structuredClone(prodLike), name: 'staging' };
    const build = () =>
      buildApp({
        compliance: false,
        registry: { prod: prodLike, staging: sharedAccount },
        environments: ['prod', 'staging'],
      });
    expect(build).toThrow(ConfigErrors);
    expect(build).toThrow(
      'lake.manageCatalogEncryption: expected true in at most one environment per account and region; ' +
        'received true in prod, staging, which share 222222222222/eu-west-1 (set it false in all but one)',
    );
  });
});

describe('reaching the sources without peering', () => {
  test('needs the source range when there is no peering', () => {
    expect(problemsOf(withNetwork({}))).toEqual([
      "network.sourceTransitGateway: expected the source databases' range ({ sourceCidr } or { sourcePrefixListId }) " +
        'when network.sourceVpcPeering is not set: security groups cannot be referenced across a Transit Gateway; received nothing',
    ]);
  });

  test('takes exactly one of a CIDR or a prefix list', () => {
    expect(
      problemsOf(
        withNetwork({
          sourceTransitGateway: { sourceCidr: '10.20.0.0/16', sourcePrefixListId: 'pl-0123456789abcdef0' },
        }),
      ),
    ).toEqual([
      'network.sourceTransitGateway: expected exactly one of sourceCidr or sourcePrefixListId; received {"sourceCidr":"10.20.0.0/16","sourcePrefixListId":"pl-0123456789abcdef0"}',
    ]);
    expect(problemsOf(withNetwork({ sourceTransitGateway: {} }))).toEqual([
      'network.sourceTransitGateway: expected exactly one of sourceCidr or sourcePrefixListId; received {}',
    ]);
  });

  test('is not combined with peering', () => {
    expect(
      problemsOf(
        withNetwork({
          sourceVpcPeering: { vpcId: 'vpc-0a1b2c3d4e5f60001', cidr: '10.20.0.0/16' },
          sourceTransitGateway: { sourceCidr: '10.20.0.0/16' },
        }),
      ),
    ).toEqual([
      'network.sourceTransitGateway: expected no sourceTransitGateway while network.sourceVpcPeering is set: the sources are reached one way; received {"sourceCidr":"10.20.0.0/16"}',
    ]);
  });

  test('a CIDR or a prefix list alone is valid', () => {
    expect(problemsOf(withNetwork({ sourceTransitGateway: { sourceCidr: '10.20.0.0/16' } }))).toEqual([]);
    expect(
      problemsOf(withNetwork({ sourceTransitGateway: { sourcePrefixListId: 'pl-0123456789abcdef0' } })),
    ).toEqual([]);
  });
});
