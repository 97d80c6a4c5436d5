/**
 * The CLI arguments of a scale-harness synth (`npx <these>`): the same command as `npm run synth`
 * with the harness's app and table count. Shared by `npm run synth:scale` and the benchmark.
 */
export function scaleSynthArgs(tables: number, output: string): string[] {
  return [
    'cdk',
    'synth',
    '**',
    '--quiet',
    '--app',
    'npx tsx scripts/scale/app.ts',
    '--context',
    `scale:tables=${tables}`,
    '--output',
    output,
  ];
}
