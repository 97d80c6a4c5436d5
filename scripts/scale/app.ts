#!/usr/bin/env node
/**
 * The scale harness's app: bin/app.ts's code path (main, buildApp, cdk-nag) over
 * the prod environment with a generated table list (scripts/scale/config.ts).
 * Run through `npm run synth:scale -- --tables N`, which gives the count as
 * the `scale:tables` context value.
 */
import { App } from 'aws-cdk-lib';
import { main } from '../../lib/main';
import { scaleConfig } from './config';

// autoSynth off: under the CLI an App synthesizes itself at exit, and this one only reads the context.
const requested = new App({ autoSynth: false }).node.tryGetContext('scale:tables') as unknown;
const tables = Number(requested);
if (!Number.isInteger(tables) || tables < 2) {
  process.stderr.write(`scale:tables=${JSON.stringify(requested)}: expected a whole number of at least 2\n`);
  process.exitCode = 1;
} else {
  process.exitCode = main({ build: { registry: { prod: scaleConfig(tables) }, environments: ['prod'] } });
}
