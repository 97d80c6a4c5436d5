import { validateConfig } from '../../lib/config';
import { copyOf, devLike, prodLike, twoSources } from '../fixtures/configs';
import { problemsAfter } from '../helpers/config-problems';

describe('replication config: defaults', () => {
  test('an environment that says nothing gets a created, Multi-AZ PostgreSQL 17 and DMS Serverless', () => {
    const config = copyOf(devLike);
    delete config.replication;
    expect(validateConfig(config, 'dev').replication).toEqual({
      enabled: true,
      database: {
        mode: 'create',
        engineVersion: '17',
        instanceClass: 'db.t4g.medium',
        allocatedStorageGiB: 100,
        maxAllocatedStorageGiB: 500,
        multiAz: true,
        databaseName: 'dataengineering',
        backupRetentionDays: 7,
        credentialsRotationDays: 30,
        applicationSecurityGroupIds: [],
      },
      dms: { mode: 'serverless', minCapacityUnits: 1, maxCapacityUnits: 16, multiAz: true },
      lobMaxSizeKiB: 1024,
    });
  });
});

describe('replication config: what synth rejects, one line each', () => {
  test('a replicating source without the DMS source secret', () => {
    expect(
      problemsAfter((c) => {
        delete c.sources[0].replication;
      }),
    ).toEqual([
      "sources[0].replication: expected the DMS source user's secret ({ credentialsSecretArn }): 3 table(s) of trackman-backend have replicate: true; received nothing",
    ]);
  });

  test("the probe's reader secret in another region or account, or not a secret ARN", () => {
    const withReader = (arn: string) =>
      problemsAfter((c) => {
        c.replication = { ...c.replication, database: { mode: 'create', probeCredentialsSecretArn: arn } };
      });
    expect(
      withReader('arn:aws:secretsmanager:eu-west-1:111111111111:secret:dataengineering-db/probe-AbCdEf'),
    ).toEqual([]);
    expect(
      withReader('arn:aws:secretsmanager:us-east-1:111111111111:secret:dataengineering-db/probe-AbCdEf'),
    ).toEqual([
      'replication.database.probeCredentialsSecretArn: expected an ARN in the environment\'s account 111111111111 and region eu-west-1 (the probe reads it through this region\'s VPC endpoints); received "arn:aws:secretsmanager:us-east-1:111111111111:secret:dataengineering-db/probe-AbCdEf"',
    ]);
    expect(withReader('dataengineering-db/probe')).toHaveLength(1);
  });

  test('no secret is needed while replication is disabled', () => {
    expect(
      problemsAfter((c) => {
        delete c.sources[0].replication;
        c.replication = { enabled: false };
      }),
    ).toEqual([]);
  });

  test('two sources landing on the same target table', () => {
    expect(
      problemsAfter((c) => {
        c.sources[1].replication = { credentialsSecretArn: c.sources[0].replication!.credentialsSecretArn };
        c.sources[1].tables[0] = {
          ...c.sources[1].tables[0],
          schema: 'public',
          name: 'shots',
          replicate: true,
        };
      }, twoSources),
    ).toEqual([
      'sources[1].tables[0].name: expected a target table in dataengineering-db not taken by trackman-backend public.shots (both land in public.shots; set replication.targetSchema on one source); received "public.shots"',
    ]);
  });

  test('targetSchema separates them', () => {
    expect(
      problemsAfter((c) => {
        c.sources[1].replication = {
          credentialsSecretArn: c.sources[0].replication!.credentialsSecretArn,
          targetSchema: 'booking',
        };
        c.sources[1].tables[0] = {
          ...c.sources[1].tables[0],
          schema: 'public',
          name: 'shots',
          replicate: true,
        };
      }, twoSources),
    ).toEqual([]);
  });

  test('capacity and storage bounds out of order', () => {
    expect(
      problemsAfter((c) => {
        c.replication = {
          database: { mode: 'create', multiAz: false, allocatedStorageGiB: 200, maxAllocatedStorageGiB: 100 },
          dms: { mode: 'serverless', minCapacityUnits: 8, maxCapacityUnits: 4, multiAz: false },
        };
      }),
    ).toEqual([
      'replication.database.maxAllocatedStorageGiB: expected at least replication.database.allocatedStorageGiB (200); received 100',
      'replication.dms.maxCapacityUnits: expected at least replication.dms.minCapacityUnits (8); received 4',
    ]);
  });

  test('production runs dataengineering-db and DMS in more than one Availability Zone', () => {
    expect(
      problemsAfter((c) => {
        c.replication = {
          database: { mode: 'create', multiAz: false },
          dms: { mode: 'instance', multiAz: false },
        };
      }, prodLike),
    ).toEqual([
      'replication.database.multiAz: expected true in a production environment (dataengineering-db must survive the loss of an Availability Zone); received false',
      'replication.dms.multiAz: expected true in a production environment (the replication must survive the loss of an Availability Zone); received false',
    ]);
  });

  test('an existing database needs its host, name, secret and security group', () => {
    expect(
      problemsAfter((c) => {
        c.replication = { database: { mode: 'existing', host: 'de-db.example.com' } as never };
      }),
    ).toEqual([
      'replication.database.databaseName: expected a database name: letters, digits, _ or $, at most 63 characters; received nothing',
      'replication.database.credentialsSecretArn: expected the full ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>); received nothing',
      'replication.database.securityGroupId: expected a security group id (sg-...); received nothing',
    ]);
  });
});
