#!/usr/bin/env node
import { buildApp } from '../lib/app';

// Every environment by default; `cdk synth -c env=prod` builds one. The cdk-nag
// AwsSolutions pack is registered, so a finding that is not acknowledged fails synth.
buildApp().app.synth();
