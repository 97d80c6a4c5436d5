/**
 * Inputs of the monthly cost estimate (`npm run cost`, lib/cost/) that the rest of an
 * environment's config does not give: how much data the lake takes in, how old the lake is when
 * its storage is priced, and how many workers a table's run uses. Part of the environment schema
 * (lib/config/schema.ts); the cross-field rule (workers within ingestion.maxWorkers) is in
 * lib/config/rules/cost.ts.
 */
import { z } from 'zod';

export const CostSchema = z
  .strictObject({
    dailyLakeGiB: z
      .number({ error: 'a number of GiB' })
      .positive({ error: 'more than 0 GiB' })
      .max(100_000, { error: 'at most 100000 GiB a day' })
      .default(1)
      .describe(
        'GiB the ingestion lands under raw/ in a day, all tables together. The estimate prices lake storage, ' +
          "its backups and the database snapshots from it; read it off the growth of the lake bucket's " +
          'BucketSizeBytes metric. @default 1',
      ),
    lakeAgeDays: z
      .int({ error: 'a whole number of days' })
      .min(1, { error: 'at least 1 day' })
      .max(36_500, { error: 'at most 36500 days' })
      .default(730)
      .describe(
        'Days of data the lake holds in the month the estimate prices: raw/ is never expired, so its storage ' +
          'grows every month, through Intelligent-Tiering into Deep Archive. @default 730 (two years)',
      ),
    glueWorkersPerRun: z
      .int({ error: 'a whole number of workers' })
      .min(2, { error: 'at least 2 workers (a Spark job runs with at least 2)' })
      .default(2)
      .describe(
        "G.1X workers one table's run uses on average; auto scaling starts each run with 2 and adds workers " +
          'up to ingestion.maxWorkers only for a large read. @default 2',
      ),
  })
  .prefault({})
  .describe(
    'Inputs of the monthly cost estimate (npm run cost, docs/cost.md) that the rest of the config lacks.',
  );

export type CostConfig = z.output<typeof CostSchema>;
