import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CONFIG_REFERENCE_PATH, renderConfigReference } from '../../scripts/config-reference';

describe('docs/configuration.md', () => {
  const rendered = renderConfigReference();

  it('is in step with the config schema (run `npm run docs:config` after changing lib/config/schema.ts)', () => {
    expect(readFileSync(CONFIG_REFERENCE_PATH, 'utf8')).toBe(rendered);
  });

  it('renders the same text every time', () => {
    expect(renderConfigReference()).toBe(rendered);
  });

  it('has a table for every object, including each variant of a union', () => {
    const headings = rendered.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual([
      '## Environment config',
      "## `network` with `mode: 'create'`",
      '## `network.sourceVpcPeering`',
      '## `network.sourceTransitGateway`',
      "## `network` with `mode: 'import'`",
      '## `sources[]`',
      '## `sources[].replication`',
      '## `sources[].tables[]`',
      "## `sources[].tables[].lake` with `mode: 'incremental'`",
      "## `sources[].tables[].lake` with `mode: 'snapshot'`",
      '## `lake`',
      '## `lake.athena`',
      '## `ingestion`',
      '## `slo`',
      '## `replication`',
      "## `replication.database` with `mode: 'create'`",
      "## `replication.database` with `mode: 'existing'`",
      "## `replication.dms` with `mode: 'serverless'`",
      "## `replication.dms` with `mode: 'instance'`",
      '## `audit`',
      "## `audit.trail` with `mode: 'create'`",
      "## `audit.trail` with `mode: 'organization'`",
      "## `audit.trail` with `mode: 'off'`",
      '## `audit.budget`',
      '## `audit.costAnomalies`',
      '## `backup`',
      '## `backup.crossRegionCopy`',
      '## `backup.vaultLock`',
      '## `backup.restoreTesting`',
      '## `cost`',
      '## `features`',
      '## Delivery config',
    ]);
  });

  it('takes defaults from the schema and keeps the notes of the @default tags', () => {
    const row = (field: string) => rendered.split('\n').find((line) => line.startsWith(`| \`${field}\` `));
    expect(row('scheduleIntervalMinutes')).toMatch(
      /^\| `scheduleIntervalMinutes` +\| integer, greater than 0 +\| no +\| `15` +\| Minutes between scheduled workflow runs\. +\|$/,
    );
    expect(row('deepArchiveAfterDays')).toMatch(/\| no +\| `365` +\|/);
    expect(row('bytesScannedCutoffPerQuery')).toMatch(/\| no +\| `107374182400` \(100 GiB\) +\|/);
    expect(row('bucketName')).toMatch(/\| no +\| unset: a generated name +\|/);
    expect(row('account')).toMatch(/\| string matching `\^\\d\{12\}\$` +\| yes +\| +\|/);
    expect(rendered).not.toContain('@default');
  });

  it('escapes the pipes of regular expressions inside table cells', () => {
    expect(rendered).toContain('`^(\\d{1,3}\\.){3}\\d{1,3}\\/(1[6-9]\\|2[0-4])$`');
  });

  describe('the @default tags of the descriptions', () => {
    const render = (field: z.ZodType) => renderConfigReference(z.strictObject({ field }).describe('Test.'));

    it('must agree with the default of the schema', () => {
      expect(() => render(z.int().default(4).describe('Minutes. @default 5'))).toThrow(
        new Error(
          'field: the description says "@default 5" but the schema default is 4; fix the description',
        ),
      );
    });

    it('must not claim a value the schema does not default to', () => {
      expect(() => render(z.int().optional().describe('Minutes. @default 5'))).toThrow(
        new Error(
          'field: the description says "@default 5" but the schema has no default; ' +
            'use "@default - <what happens when unset>" or add the default to the schema',
        ),
      );
    });

    it('may leave the default out', () => {
      expect(render(z.int().default(4).describe('Minutes.'))).toContain(
        '| `field` | integer | no       | `4`     | Minutes.    |',
      );
      expect(render(z.string().optional().describe('A name.'))).toContain(
        '| `field` | string | no       | unset   | A name.     |',
      );
    });
  });
});
