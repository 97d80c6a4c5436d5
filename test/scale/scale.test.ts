/**
 * Issue 9: the prod environment with 300 tables over two sources (the scale
 * harness's config, scripts/scale/config.ts) deploys within every AWS limit of
 * lib/limits.ts, meets the 60-minute lake SLO with prod's settings, and taking
 * one more table changes only that table's resources and the lists that name
 * every table. One synth of 300 tables and one of 301, shared by every test.
 */
import {
  lakeBudget,
  loadConfig,
  MAX_TABLES_PER_GROUP,
  validateConfig,
  type EnvironmentConfig,
} from '../../lib/config';
import { FAILURE_CAUSE_CHARACTERS } from '../../lib/constructs/ingestion-workflow';
import {
  CLOUDFORMATION,
  CLOUDWATCH,
  DMS,
  EVENTBRIDGE,
  GLUE,
  IAM,
  LAMBDA,
  SCHEDULER,
  SNS,
  STEP_FUNCTIONS,
} from '../../lib/limits';
import { readAssembly } from '../../scripts/diff/assembly';
import { compareAssemblies } from '../../scripts/diff/compare';
import { SCALE_MYSQL_SOURCE, scaleConfig } from '../../scripts/scale/config';
import { resolvedText, synthScale, type ScaleTemplate } from './scale-synth';

const TABLES = 300;
const config: EnvironmentConfig = validateConfig(scaleConfig(TABLES), 'prod');
let templates: Record<string, ScaleTemplate>;
let grown: Record<string, ScaleTemplate>;
/** The two cloud assemblies, as the offline diff (`npm run diff`) reads them. */
const assemblies: string[] = [];
const cleanups: (() => void)[] = [];

beforeAll(() => {
  for (const [count, assign] of [
    [TABLES, (t: Record<string, ScaleTemplate>) => (templates = t)],
    [TABLES + 1, (t: Record<string, ScaleTemplate>) => (grown = t)],
  ] as const) {
    const synth = synthScale(count);
    cleanups.push(synth.cleanup);
    assemblies.push(synth.outdir);
    assign(synth.templates);
  }
});
afterAll(() => cleanups.forEach((cleanup) => cleanup()));

type Resource = ScaleTemplate['json']['Resources'][string];
/** Every resource of one type in every template, with its template and logical id. */
function resources(
  type: string,
  from = () => templates,
): { template: ScaleTemplate; id: string; resource: Resource }[] {
  return Object.values(from()).flatMap((template) =>
    Object.entries(template.json.Resources)
      .filter(([, resource]) => resource.Type === type)
      .map(([id, resource]) => ({ template, id, resource })),
  );
}
const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

describe('the harness config', () => {
  test('is prod with 300 tables, 5:1 over a PostgreSQL and a MySQL source', () => {
    expect(config.sources.map((s) => [s.name, s.engine, s.tables.length])).toEqual([
      ['trackman-backend', 'postgres', 250],
      [SCALE_MYSQL_SOURCE, 'mysql', 50],
    ]);
    const prod = loadConfig('prod');
    expect({ ...config, sources: [] }).toEqual({ ...prod, sources: [] });
  });

  test("meets the 60-minute lake SLO with prod's settings, each source within one interval", () => {
    const budget = lakeBudget(config);
    expect(budget.worstCaseMinutes).toBeLessThanOrEqual(config.slo.lakeFreshnessMinutes);
    for (const source of budget.sources) {
      expect(source.queueMinutes).toBeLessThanOrEqual(config.ingestion.scheduleIntervalMinutes);
    }
    // 250 tables at 40 a time: W = 249 x 2 / 40 = 12.45; 2 ticks x 15 + 12.45 + 15 + 1.
    expect(budget.sources[0]).toMatchObject({ slots: 40, startMinutes: 12.45, worstCaseMinutes: 58.45 });
  });
});

describe('CloudFormation, per stack (nested stacks included)', () => {
  test('every stack holds at most 500 resources and 1 MB of template', () => {
    const over = Object.values(templates).filter(
      (t) =>
        Object.keys(t.json.Resources).length > CLOUDFORMATION.resourcesPerStack ||
        t.bytes > CLOUDFORMATION.templateBytes,
    );
    expect(over.map((t) => t.file)).toEqual([]);
    expect(Object.keys(templates).filter((file) => file.includes('nested')).length).toBeGreaterThan(8);
  });

  test('outputs, parameters and mappings stay under 200 per stack', () => {
    for (const t of Object.values(templates)) {
      expect(Object.keys(t.json.Outputs ?? {}).length).toBeLessThanOrEqual(CLOUDFORMATION.outputsPerStack);
      expect(Object.keys(t.json.Parameters ?? {}).length).toBeLessThanOrEqual(
        CLOUDFORMATION.parametersPerStack,
      );
      expect(Object.keys(t.json.Mappings ?? {}).length).toBeLessThanOrEqual(CLOUDFORMATION.mappingsPerStack);
    }
  });

  test(`a table group stack still fits at its ceiling of ${MAX_TABLES_PER_GROUP} tables`, () => {
    // The largest measured group, scaled to the ceiling that synth enforces (lib/config/table-groups.ts).
    const groups = Object.values(templates).filter((t) => t.file.includes('Tables'));
    const jobs = (t: ScaleTemplate) =>
      Object.values(t.json.Resources).filter((r) => r.Type === 'AWS::Glue::Job').length;
    const perTableBytes = Math.max(...groups.map((t) => t.bytes / jobs(t)));
    const perTableResources = Math.max(...groups.map((t) => Object.keys(t.json.Resources).length / jobs(t)));
    expect(perTableBytes * MAX_TABLES_PER_GROUP).toBeLessThanOrEqual(CLOUDFORMATION.templateBytes);
    expect(perTableResources * MAX_TABLES_PER_GROUP).toBeLessThanOrEqual(CLOUDFORMATION.resourcesPerStack);
  });
});

describe('Lambda', () => {
  test('every function environment is within 4 KB', () => {
    const sizes = resources('AWS::Lambda::Function').map(({ id, resource }) => [
      id,
      utf8Bytes(resolvedText(resource.Properties?.Environment?.Variables ?? {})),
    ]);
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    expect(sizes.filter(([, bytes]) => (bytes as number) > LAMBDA.environmentBytes)).toEqual([]);
  });
});

describe('Step Functions', () => {
  const definitions = () =>
    resources('AWS::StepFunctions::StateMachine').map(({ id, resource }) => ({
      id,
      text: resolvedText(resource.Properties?.DefinitionString),
    }));

  test('every definition is within 1 MB, and every inline Map within 40 iterations at once', () => {
    for (const { text } of definitions()) {
      expect(utf8Bytes(text)).toBeLessThanOrEqual(STEP_FUNCTIONS.definitionBytes);
      const maps = [...text.matchAll(/"MaxConcurrency":(\d+)/g)].map((m) => Number(m[1]));
      for (const concurrency of maps)
        expect(concurrency).toBeLessThanOrEqual(STEP_FUNCTIONS.inlineMapConcurrency);
    }
  });

  test('a scheduled run over all 300 tables fits the execution input, its results and its history', () => {
    const schedule = resources('AWS::Scheduler::Schedule').find(
      ({ resource }) =>
        resolvedText(resource.Properties?.Target?.Arn).length > 0 &&
        /"tables"/.test(resolvedText(resource.Properties?.Target?.Input)),
    );
    expect(schedule).toBeDefined();
    const input = JSON.parse(resolvedText(schedule!.resource.Properties!.Target.Input)) as {
      tables: { source: string; table: string; jobName: string }[];
    };
    expect(input.tables).toHaveLength(TABLES);
    const inputBytes = utf8Bytes(JSON.stringify(input));
    expect(inputBytes).toBeLessThanOrEqual(SCHEDULER.stateMachineTargetInputBytes);
    // The largest state data: the input plus one succeeded entry per table (a Glue run id is 67 characters).
    const results = input.tables.map((t) => ({
      ...t,
      status: 'succeeded',
      jobRunId: `jr_${'0'.repeat(64)}`,
    }));
    expect(inputBytes + utf8Bytes(JSON.stringify(results))).toBeLessThanOrEqual(STEP_FUNCTIONS.payloadBytes);
    // Every table failing at once (the source is down): each result keeps at most FAILURE_CAUSE_CHARACTERS
    // of its cause, so the state and the alert that lists them all still fit.
    const failed = input.tables.map((t) => ({
      ...t,
      status: 'failed',
      error: 'States.TaskFailed',
      cause: '"'.repeat(FAILURE_CAUSE_CHARACTERS),
    }));
    expect(inputBytes + utf8Bytes(JSON.stringify(failed))).toBeLessThanOrEqual(STEP_FUNCTIONS.payloadBytes);
    expect(utf8Bytes(JSON.stringify({ summary: 'x'.repeat(200), failed }))).toBeLessThanOrEqual(
      SNS.messageBytes,
    );
    // History: per table a Map iteration (2 events), the task state (2), 4 per attempt, the result Pass (2);
    // then a few dozen for the Parallel, its branches, the summary and the alert.
    const perTable = 6 + 4 * config.ingestion.maxAttempts;
    expect(TABLES * perTable + 100).toBeLessThanOrEqual(STEP_FUNCTIONS.historyEvents);
  });
});

describe('EventBridge Scheduler and rules', () => {
  test("every schedule's input is within its target's limit", () => {
    for (const { resource } of resources('AWS::Scheduler::Schedule')) {
      const target = resource.Properties!.Target;
      const bytes = utf8Bytes(resolvedText(target.Input ?? ''));
      const arn = JSON.stringify(target.Arn);
      const limit = /StateMachine|states/.test(arn)
        ? SCHEDULER.stateMachineTargetInputBytes
        : SCHEDULER.lambdaTargetInputBytes;
      expect(bytes).toBeLessThanOrEqual(limit);
    }
  });

  test('every event pattern is within 2,048 characters, every rule within 5 targets', () => {
    const rules = resources('AWS::Events::Rule');
    expect(rules.length).toBeGreaterThan(0);
    for (const { resource } of rules) {
      if (resource.Properties?.EventPattern !== undefined) {
        expect(resolvedText(resource.Properties.EventPattern).length).toBeLessThanOrEqual(
          EVENTBRIDGE.eventPatternCharacters,
        );
      }
      expect((resource.Properties?.Targets ?? []).length).toBeLessThanOrEqual(EVENTBRIDGE.targetsPerRule);
    }
  });
});

describe('IAM', () => {
  test("every role's inline policies together are within 10,240 characters", () => {
    const totals = Object.values(templates).flatMap((template) => {
      const all = Object.entries(template.json.Resources);
      return all
        .filter(([, r]) => r.Type === 'AWS::IAM::Role')
        .map(([roleId, role]) => {
          const attached = all
            .filter(
              ([, r]) =>
                r.Type === 'AWS::IAM::Policy' &&
                (r.Properties?.Roles ?? []).some((ref: { Ref?: string }) => ref.Ref === roleId),
            )
            .map(([, r]) => resolvedText(r.Properties!.PolicyDocument).length);
          const own = (role.Properties?.Policies ?? []).map(
            (p: { PolicyDocument: unknown }) => resolvedText(p.PolicyDocument).length,
          );
          return [roleId, [...attached, ...own].reduce((a, b) => a + b, 0)] as const;
        });
    });
    expect(totals.length).toBeGreaterThan(TABLES);
    expect(totals.filter(([, size]) => size > IAM.roleInlinePolicyCharacters)).toEqual([]);
  });

  test('every managed policy is within 6,144 characters, and no role has more than 10', () => {
    for (const { resource } of resources('AWS::IAM::ManagedPolicy')) {
      expect(resolvedText(resource.Properties!.PolicyDocument).length).toBeLessThanOrEqual(
        IAM.managedPolicyCharacters,
      );
    }
    for (const { resource } of resources('AWS::IAM::Role')) {
      expect((resource.Properties?.ManagedPolicyArns ?? []).length).toBeLessThanOrEqual(
        IAM.managedPoliciesPerRole,
      );
    }
  });
});

describe('AWS Glue, against the default account quotas', () => {
  test('jobs and connections per account, job arguments per job', () => {
    const jobs = resources('AWS::Glue::Job');
    expect(jobs).toHaveLength(TABLES);
    expect(jobs.length).toBeLessThanOrEqual(GLUE.jobsPerAccount);
    expect(resources('AWS::Glue::Connection').length).toBeLessThanOrEqual(GLUE.connectionsPerAccount);
    for (const { resource } of jobs) {
      expect(utf8Bytes(resolvedText(resource.Properties!.DefaultArguments))).toBeLessThanOrEqual(
        GLUE.jobArgumentsBytes,
      );
    }
  });

  test('a run holds at most 200 job runs and 1,000 DPUs at once', () => {
    const slots = lakeBudget(config).sources.reduce((sum, source) => sum + source.slots, 0);
    expect(slots).toBe(50);
    expect(slots).toBeLessThanOrEqual(GLUE.concurrentJobRunsPerAccount);
    expect(slots * config.ingestion.maxWorkers).toBeLessThanOrEqual(GLUE.taskDpusPerAccount);
  });
});

describe('DMS and CloudWatch', () => {
  test('every table mapping is within 2 MB', () => {
    const mappings = [
      ...resources('AWS::DMS::ReplicationConfig').map(({ resource }) => resource.Properties!.TableMappings),
      ...resources('AWS::DMS::ReplicationTask').map(({ resource }) => resource.Properties!.TableMappings),
    ];
    expect(mappings.length).toBeGreaterThan(0);
    for (const mapping of mappings)
      expect(utf8Bytes(resolvedText(mapping))).toBeLessThanOrEqual(DMS.tableMappingsBytes);
  });

  test('every dashboard is within 500 widgets, 500 metrics a widget and 2,500 in all', () => {
    const dashboards = resources('AWS::CloudWatch::Dashboard');
    expect(dashboards.length).toBeGreaterThan(0);
    for (const { resource } of dashboards) {
      const body = JSON.parse(resolvedText(resource.Properties!.DashboardBody)) as {
        widgets: { properties?: { metrics?: unknown[] } }[];
      };
      expect(body.widgets.length).toBeLessThanOrEqual(CLOUDWATCH.widgetsPerDashboard);
      const metrics = body.widgets.map((w) => w.properties?.metrics?.length ?? 0);
      for (const count of metrics) expect(count).toBeLessThanOrEqual(CLOUDWATCH.metricsPerWidget);
      expect(metrics.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(CLOUDWATCH.metricsPerDashboard);
    }
  });
});

describe('adding the 301st table', () => {
  /** What changed between the 300- and the 301-table templates, per template file and logical id. */
  function changes() {
    const added: string[] = [];
    const removed: string[] = [];
    const changed: string[] = [];
    const changedIds: string[] = [];
    for (const file of new Set([...Object.keys(templates), ...Object.keys(grown)])) {
      const before = templates[file]?.json.Resources ?? {};
      const after = grown[file]?.json.Resources ?? {};
      for (const id of Object.keys(before)) if (!(id in after)) removed.push(`${before[id].Type} ${id}`);
      for (const id of Object.keys(after)) if (!(id in before)) added.push(`${after[id].Type} ${id}`);
      for (const id of Object.keys(before)) {
        if (!(id in after) || JSON.stringify(before[id]) === JSON.stringify(after[id])) continue;
        const keys = new Set([
          ...Object.keys(before[id].Properties ?? {}),
          ...Object.keys(after[id].Properties ?? {}),
        ]);
        for (const key of keys) {
          if (JSON.stringify(before[id].Properties?.[key]) !== JSON.stringify(after[id].Properties?.[key])) {
            changed.push(`${before[id].Type}.${key}`);
            changedIds.push(`${before[id].Type}.${key} ${id}`);
          }
        }
        // And outside Properties: DependsOn, the update and deletion policies, metadata.
        const outside = new Set([...Object.keys(before[id]), ...Object.keys(after[id])]);
        for (const key of outside) {
          if (key === 'Properties') continue;
          const was = (before[id] as Record<string, unknown>)[key];
          const is = (after[id] as Record<string, unknown>)[key];
          if (JSON.stringify(was) !== JSON.stringify(is)) changed.push(`${before[id].Type}(${key})`);
        }
      }
    }
    return { added, removed, changed: [...new Set(changed)].sort(), changedIds };
  }

  test("creates the table's job, role and policies in its own group's stack and nothing else", () => {
    const { added } = changes();
    // Table 300 is trackman-backend's public.t0300_events, replicated (scripts/scale/config.ts).
    const table = added.filter((entry) => entry.includes('t0300events'));
    expect(table.sort()).toEqual(
      [
        expect.stringMatching(/^AWS::Glue::Job Tabletrackmanbackendpublict0300eventsJob/),
        expect.stringMatching(/^AWS::IAM::Policy Tabletrackmanbackendpublict0300eventsPolicy/),
        expect.stringMatching(/^AWS::IAM::Policy Tabletrackmanbackendpublict0300eventsRoleDefaultPolicy/),
        expect.stringMatching(/^AWS::IAM::Role Tabletrackmanbackendpublict0300eventsRole/),
      ].sort(),
    );
    const files = Object.keys(grown).filter((file) =>
      Object.keys(grown[file].json.Resources).some((id) => id.includes('t0300events')),
    );
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^ProdIngestionTablestrackmanbackend\d/);
    // Prod replicates through a provisioned task (replication.dms.mode 'instance'), which takes the new table
    // in place: nothing else is created.
    expect(added.filter((entry) => !entry.includes('t0300events'))).toEqual([]);
  });

  test('removes nothing', () => {
    expect(changes().removed).toEqual([]);
  });

  test("changes the code of start-ingestion and the failure notifier only (their catalogs), and one group's stack", () => {
    const { changedIds } = changes();
    expect(changedIds.filter((entry) => entry.startsWith('AWS::Lambda::Function.Code')).sort()).toEqual([
      expect.stringMatching(/ TriggersGlueFailureNotifierFunction/),
      expect.stringMatching(/ TriggersStartIngestionFunction/),
    ]);
    expect(changedIds.filter((entry) => entry.startsWith('AWS::CloudFormation::Stack'))).toEqual([
      expect.stringMatching(/ Tablestrackmanbackend\dNestedStack/),
    ]);
  });

  test('changes in place only what lists every table and the replication controls', () => {
    // Each is an update CloudFormation makes without replacing the resource. The workflow does not change:
    // its timeout moves only when a source needs another round of its slots (251 tables at 40: still 7).
    expect(changes().changed).toEqual(
      [
        // start-ingestion's and the failure notifier's code: their bundled catalogs list every table.
        'AWS::Lambda::Function.Code',
        // The nested stack of the table's group: its template.
        'AWS::CloudFormation::Stack.TemplateURL',
        // The schedules that name every table: the ingestion run and the freshness probe's two.
        'AWS::Scheduler::Schedule.Target',
        // The task's selection rules gain the table: modified in place while the control holds it stopped.
        'AWS::DMS::ReplicationTask.TableMappings',
        // The control resources: stop before the modification, resume after, and reload the table gained.
        'Custom::DmsReplicationAfterChange.SettingsHash',
        'Custom::DmsReplicationAfterChange.Tables',
        'Custom::DmsReplicationBeforeChange.SettingsHash',
      ].sort(),
    );
  });

  test('reads, in the offline diff, as additions and in-place updates only, nothing stateful at risk', () => {
    // The same comparison `npm run diff` makes, with CloudFormation's replacement rules per property.
    const diff = compareAssemblies(readAssembly(assemblies[0]), readAssembly(assemblies[1]));
    expect(diff.statefulAlerts).toEqual([]);
    const impacts = diff.stacks.flatMap((stack) => stack.resources.map((change) => change.impact));
    // CloudFormation's own replacement rules per property: every change is an update in place.
    expect([...new Set(impacts)].sort()).toEqual(['add', 'update']);
    expect(
      diff.stacks.flatMap((stack) =>
        stack.resources.filter((change) => change.type.startsWith('AWS::DMS::')),
      ),
    ).toEqual([
      expect.objectContaining({
        type: 'AWS::DMS::ReplicationTask',
        impact: 'update',
        properties: ['TableMappings'],
      }),
    ]);
  });
});
