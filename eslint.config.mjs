// Flat config. Everything gets typescript-eslint's syntactic rules and import
// ordering; the runtime code (lambda/ and its tests), where a forgotten await
// loses work silently, also gets the type-aware rules (no-floating-promises,
// no-misused-promises, ...). Type-aware linting of lib/ and test/ would build
// a TypeScript program over all of aws-cdk-lib's declarations: about 30 s on
// two cores, twice what `tsc --noEmit` (which runs in `npm test`) already spends
// checking those files.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';

const RUNTIME = ['lambda/**/*.ts', 'test/lambda/**/*.ts'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', 'coverage/**', '.bench/**', '**/*.js', '**/*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'import-x/order': [
        'error',
        {
          groups: ['builtin', 'external', 'internal', 'parent', 'sibling', 'index'],
          alphabetize: { order: 'asc', caseInsensitive: true },
          'newlines-between': 'never',
        },
      ],
      'import-x/no-duplicates': 'error',
    },
  },
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: RUNTIME })),
  {
    files: RUNTIME,
    languageOptions: {
      parserOptions: { project: ['./tsconfig.lambda.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/prefer-nullish-coalescing': 'error',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Template JSON is untyped by nature.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Runtime code must never pull infrastructure code into a Lambda bundle.
    files: ['lambda/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', '**/lib/**'],
              message: 'Lambda code must not import infrastructure code.',
            },
          ],
        },
      ],
    },
  },
  {
    // jest-light-runner (jest.config.js) does not run these: each would pass or fail without
    // checking what it claims.
    files: ['test/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['assertions', 'hasAssertions'].map((property) => ({
          object: 'expect',
          property,
          message: 'jest-light-runner never checks the assertion count: assert on the value instead.',
        })),
        ...[
          'mock',
          'unmock',
          'doMock',
          'isolateModules',
          'isolateModulesAsync',
          'resetModules',
          'setTimeout',
        ].map((property) => ({
          object: 'jest',
          property,
          message:
            'jest-light-runner has no module registry or per-test timeout (jest.config.js); for a handler, use coldStart().',
        })),
        ...['failing', 'todo', 'concurrent'].flatMap((property) =>
          ['test', 'it'].map((object) => ({
            object,
            property,
            message: 'jest-light-runner does not run this kind of test (jest.config.js).',
          })),
        ),
      ],
    },
  },
  prettier,
);
