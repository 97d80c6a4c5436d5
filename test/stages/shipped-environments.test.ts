import { Stack } from 'aws-cdk-lib';
import {
  ENVIRONMENTS,
  ingestionJobName,
  lakeBudget,
  lakeTables,
  loadConfig,
  qualifiedName,
} from '../../lib/config';
import { buildStage, withNestedStacks } from '../helpers/synth';

/**
 * Invariants of the shipped environments: what must hold whatever their tables
 * and settings. Behaviour is tested on fixtures (test/fixtures/configs.ts).
 */
describe.each(Object.keys(ENVIRONMENTS))('%s (shipped)', (env) => {
  const config = loadConfig(env);
  const stage = buildStage(env);
  const ingestion = withNestedStacks(stage.ingestion);
  const expectedJobs = lakeTables(config).map(({ source, table }) => ({
    source: source.name,
    table: qualifiedName(table),
    jobName: ingestionJobName(env, source, table),
  }));

  test('every lake table has its Glue job, and no job is without a table', () => {
    const names = Object.values(ingestion.findResources('AWS::Glue::Job')).map((job) => job.Properties.Name);
    expect([...names].sort()).toEqual(expectedJobs.map((job) => job.jobName).sort());
  });

  test('every schedule tick asks for every lake table', () => {
    const [schedule] = Object.values(ingestion.findResources('AWS::Scheduler::Schedule'));
    expect(JSON.parse(schedule.Properties.Target.Input as string).tables).toEqual(expectedJobs);
  });

  test('every alarm of every stack notifies someone', () => {
    const stacks = stage.node.children.filter((child): child is Stack => child instanceof Stack);
    const alarms = stacks.flatMap((stack) =>
      Object.entries(withNestedStacks(stack).findResources('AWS::CloudWatch::Alarm')).map(([id, alarm]) => ({
        id: `${stack.node.id}/${id}`,
        actions: (alarm.Properties.AlarmActions as unknown[] | undefined)?.length ?? 0,
      })),
    );
    expect(alarms.length).toBeGreaterThan(0);
    expect(alarms.filter((alarm) => alarm.actions === 0)).toEqual([]);
  });

  test('the worst-case lake latency fits the SLO', () => {
    const budget = lakeBudget(config);
    expect(budget.worstCaseMinutes).toBeLessThanOrEqual(budget.sloMinutes);
  });
});
