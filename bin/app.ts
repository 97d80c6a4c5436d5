#!/usr/bin/env node
import { main } from '../lib/main';

// Every environment by default; `cdk synth -c env=prod` builds one. The cdk-nag
// AwsSolutions pack is registered, so a finding that is not acknowledged fails synth.
// A config error prints one line per problem and exits 1 (lib/main.ts).
process.exitCode = main();
