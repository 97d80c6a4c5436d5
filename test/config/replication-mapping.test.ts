import { validateConfig } from '../../lib/config';
import {
  replicationIdentifier,
  replicationSettings,
  settingsHash,
  tableMappings,
  type MappedSource,
} from '../../lib/config/replication-mapping';
import { copyOf, devLike, twoSources } from '../fixtures/configs';

const backend = (): MappedSource => validateConfig(devLike, 'dev').sources[0];

describe('table mappings', () => {
  test('one exact selection rule per table with replicate: true, in config order (facilities is left out)', () => {
    expect(tableMappings(backend())).toEqual({
      rules: [
        {
          'rule-type': 'selection',
          'rule-id': '1',
          'rule-name': 'include-public-sessions',
          'object-locator': { 'schema-name': 'public', 'table-name': 'sessions' },
          'rule-action': 'include',
        },
        {
          'rule-type': 'selection',
          'rule-id': '2',
          'rule-name': 'include-public-shots',
          'object-locator': { 'schema-name': 'public', 'table-name': 'shots' },
          'rule-action': 'include',
        },
        {
          'rule-type': 'selection',
          'rule-id': '3',
          'rule-name': 'include-public-players',
          'object-locator': { 'schema-name': 'public', 'table-name': 'players' },
          'rule-action': 'include',
        },
      ],
    });
  });

  test('no wildcard anywhere', () => {
    expect(JSON.stringify(tableMappings(backend()))).not.toContain('%');
  });

  test('replication.targetSchema adds one rename rule per source schema, after the selections', () => {
    const source: MappedSource = {
      name: 'booking-service',
      replication: { targetSchema: 'booking_replica' },
      tables: [
        { schema: 'booking', name: 'reservations', replicate: true },
        { schema: 'billing', name: 'invoices', replicate: true },
        { schema: 'booking', name: 'bays', replicate: true },
        { schema: 'audit', name: 'log', replicate: false },
      ],
    };
    expect(tableMappings(source).rules.slice(3)).toEqual([
      {
        'rule-type': 'transformation',
        'rule-id': '4',
        'rule-name': 'rename-schema-booking',
        'rule-target': 'schema',
        'object-locator': { 'schema-name': 'booking' },
        'rule-action': 'rename',
        value: 'booking_replica',
      },
      {
        'rule-type': 'transformation',
        'rule-id': '5',
        'rule-name': 'rename-schema-billing',
        'rule-target': 'schema',
        'object-locator': { 'schema-name': 'billing' },
        'rule-action': 'rename',
        value: 'booking_replica',
      },
    ]);
  });

  test('a target schema equal to the source schema needs no rename', () => {
    const source = { ...backend(), replication: { targetSchema: 'public' } };
    expect(tableMappings(source).rules.map((rule) => rule['rule-type'])).toEqual([
      'selection',
      'selection',
      'selection',
    ]);
  });

  test('a source without replicated tables maps nothing', () => {
    expect(tableMappings(validateConfig(twoSources, 'dev').sources[1])).toEqual({ rules: [] });
  });
});

describe('replication settings', () => {
  test('the exact settings JSON', () => {
    expect(replicationSettings({ lobMaxSizeKiB: 2048 })).toEqual({
      TargetMetadata: {
        SupportLobs: true,
        FullLobMode: false,
        LimitedSizeLobMode: true,
        LobMaxSize: 2048,
        BatchApplyEnabled: true,
      },
      FullLoadSettings: {
        TargetTablePrepMode: 'TRUNCATE_BEFORE_LOAD',
        StopTaskCachedChangesApplied: false,
        StopTaskCachedChangesNotApplied: false,
        MaxFullLoadSubTasks: 8,
        TransactionConsistencyTimeout: 600,
        CommitRate: 10000,
      },
      Logging: {
        EnableLogging: true,
        LogComponents: [
          'SOURCE_CAPTURE',
          'SOURCE_UNLOAD',
          'SORTER',
          'TARGET_APPLY',
          'TARGET_LOAD',
          'TASK_MANAGER',
          'TABLES_MANAGER',
          'METADATA_MANAGER',
          'VALIDATOR',
        ].map((Id) => ({ Id, Severity: 'LOGGER_SEVERITY_DEFAULT' })),
      },
      ChangeProcessingTuning: {
        BatchApplyTimeoutMin: 1,
        BatchApplyTimeoutMax: 60,
        BatchApplyMemoryLimit: 500,
        BatchSplitSize: 0,
        MemoryLimitTotal: 1024,
        MemoryKeepTime: 60,
        StatementCacheSize: 50,
      },
      ErrorBehavior: {
        DataErrorPolicy: 'STOP_TASK',
        DataTruncationErrorPolicy: 'STOP_TASK',
        DataErrorEscalationPolicy: 'STOP_TASK',
        DataErrorEscalationCount: 0,
        TableErrorPolicy: 'STOP_TASK',
        TableErrorEscalationPolicy: 'STOP_TASK',
        TableErrorEscalationCount: 0,
        RecoverableErrorCount: -1,
        RecoverableErrorInterval: 5,
        RecoverableErrorThrottling: true,
        RecoverableErrorThrottlingMax: 300,
        ApplyErrorDeletePolicy: 'STOP_TASK',
        ApplyErrorInsertPolicy: 'STOP_TASK',
        ApplyErrorUpdatePolicy: 'STOP_TASK',
        ApplyErrorEscalationPolicy: 'STOP_TASK',
        ApplyErrorEscalationCount: 0,
        FailOnNoTablesCaptured: true,
        FullLoadIgnoreConflicts: true,
      },
      ValidationSettings: {
        EnableValidation: true,
        ValidationOnly: false,
        ThreadCount: 5,
        FailureMaxCount: 10000,
        TableFailureMaxCount: 1000,
        SkipLobColumns: false,
      },
    });
  });

  test('no error policy skips or only logs a row', () => {
    const policies = Object.entries(replicationSettings({ lobMaxSizeKiB: 1024 }).ErrorBehavior as object)
      .filter(([key]) => key.endsWith('Policy'))
      .map(([, value]) => value as string);
    expect(policies.length).toBe(9);
    expect(policies.filter((policy) => policy !== 'STOP_TASK')).toEqual([]);
  });

  test('the LOB limit comes from replication.lobMaxSizeKiB (default 1024)', () => {
    const settings = replicationSettings(validateConfig(devLike, 'dev').replication);
    expect(settings.TargetMetadata).toMatchObject({ LimitedSizeLobMode: true, LobMaxSize: 1024 });
  });
});

describe('LOB mode by engine', () => {
  test('PostgreSQL sources copy LOBs in limited mode (the endpoint fails the task on truncation)', () => {
    expect(replicationSettings({ lobMaxSizeKiB: 512 }).TargetMetadata).toMatchObject({
      FullLobMode: false,
      LimitedSizeLobMode: true,
      LobMaxSize: 512,
    });
  });

  test('MySQL sources copy every LOB in full: DMS would truncate a larger one with a warning only', () => {
    const metadata = replicationSettings({ lobMaxSizeKiB: 512, engine: 'mysql' }).TargetMetadata;
    expect(metadata).toMatchObject({ FullLobMode: true, LimitedSizeLobMode: false, LobChunkSize: 64 });
    expect(metadata).not.toHaveProperty('LobMaxSize');
  });
});

describe('settings hash', () => {
  const settings = replicationSettings({ lobMaxSizeKiB: 1024 });
  const hash = settingsHash(tableMappings(backend()), settings);

  test('is a sha256 hex digest, the same for the same input', () => {
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(settingsHash(tableMappings(backend()), replicationSettings({ lobMaxSizeKiB: 1024 }))).toBe(hash);
  });

  test('changes when a table is added to the replication or a setting changes', () => {
    const config = copyOf(devLike);
    config.sources[0].tables[3].replicate = true;
    const withFacilities = tableMappings(validateConfig(config, 'dev').sources[0]);
    expect(settingsHash(withFacilities, settings)).not.toBe(hash);
    expect(settingsHash(tableMappings(backend()), replicationSettings({ lobMaxSizeKiB: 2048 }))).not.toBe(
      hash,
    );
  });
});

describe('replication identifier', () => {
  test('trackman-<env>-<source>, with repeated hyphens collapsed', () => {
    expect(replicationIdentifier('prod', 'trackman-backend')).toBe('trackman-prod-trackman-backend');
    expect(replicationIdentifier('dev', 'booking--service')).toBe('trackman-dev-booking-service');
  });
});
