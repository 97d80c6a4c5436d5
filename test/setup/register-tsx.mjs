// Lets the worker load TypeScript: the test files themselves (imported as ESM
// by jest-light-runner) and everything they require (CommonJS, as tsconfig's
// "module" says). One registration per worker process, before any test file.
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register as registerModules } from 'tsx/esm/api';

registerModules();
registerCommonJs();
