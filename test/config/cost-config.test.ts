/** The `cost` block: the estimate's inputs the rest of the config lacks, their defaults and their messages. */
import { validateConfig } from '../../lib/config';
import { devLike } from '../fixtures/configs';
import { problemsAfter } from '../helpers/config-problems';

describe('cost', () => {
  it('defaults to 1 GiB a day, a two-year-old lake and runs of 2 workers', () => {
    expect(validateConfig(devLike, 'dev').cost).toEqual({
      dailyLakeGiB: 1,
      lakeAgeDays: 730,
      glueWorkersPerRun: 2,
    });
  });

  it('accepts its own figures', () => {
    expect(
      problemsAfter(
        (config) => (config.cost = { dailyLakeGiB: 0.25, lakeAgeDays: 30, glueWorkersPerRun: 4 }),
      ),
    ).toEqual([]);
  });

  it.each([
    [{ dailyLakeGiB: 0 }, 'cost.dailyLakeGiB: expected more than 0 GiB; received 0'],
    [{ dailyLakeGiB: '5' }, 'cost.dailyLakeGiB: expected a number of GiB; received "5"'],
    [{ lakeAgeDays: 1.5 }, 'cost.lakeAgeDays: expected a whole number of days; received 1.5'],
    [{ lakeAgeDays: 0 }, 'cost.lakeAgeDays: expected at least 1 day; received 0'],
    [
      { glueWorkersPerRun: 1 },
      'cost.glueWorkersPerRun: expected at least 2 workers (a Spark job runs with at least 2); received 1',
    ],
    [{ dailyGiB: 3 }, 'cost.dailyGiB: expected no such field (misspelt or misplaced?); received 3'],
  ])('rejects %j', (cost, problem) => {
    expect(problemsAfter((config) => Object.assign(config, { cost }))).toEqual([problem]);
  });

  it("rejects more workers a run than the job's ceiling, ingestion.maxWorkers", () => {
    expect(problemsAfter((config) => (config.cost = { glueWorkersPerRun: 5 }))).toEqual([
      "cost.glueWorkersPerRun: expected at most ingestion.maxWorkers (4): a run never has more workers than its job's ceiling; received 5",
    ]);
  });
});
