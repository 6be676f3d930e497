// ESLint 9 flat config: typescript-eslint's type-checked recommended rules over the TypeScript
// sources; layout is Prettier's (npm run lint runs both). Each rule tuned here says why.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// A leading underscore names what a destructuring leaves out on purpose (`{ _id, ...rest }`); an
// unused caught error is deliberate. The same for JavaScript and TypeScript.
const UNUSED_VARS = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }];
const TEST_FILES = ['test/**/*.ts', '**/*.spec.ts', '**/*.e2e-spec.ts', 'bench/**/*.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.stack/**', 'bench/results/**'] },
  {
    // The JavaScript that has no build step: Jest configs and reporter, scripts, this file (Node),
    // and the status page's scripts, which the browser runs as they are.
    files: ['**/*.js', '**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node, sourceType: 'commonjs' },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: { 'no-unused-vars': UNUSED_VARS },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
  { files: ['apps/gateway/status-page/public/*.js'], languageOptions: { globals: globals.browser, sourceType: 'script' } },
  {
    files: ['{apps,libs,workflows,test,bench,tools,scripts}/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `async` marks functions whose contract is a promise (activities, Nest factories, fakes of
      // promise interfaces): a throw in them must reject, not throw synchronously.
      '@typescript-eslint/require-await': 'off',
      // The code matches control characters on purpose: log and header sanitising, ANSI colours.
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': UNUSED_VARS,
    },
  },
  {
    files: TEST_FILES,
    rules: {
      // Tests and benchmarks read JSON answers and raw documents as `any` and check their shape with
      // expect(); typing each answer would copy the DTOs. (expect.any()/objectContaining are `any` too.)
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['bench/probes.ts', 'test/status/feed-disconnect.e2e-spec.ts'],
    // These wrap prototype methods, calling the saved originals with .call/.apply(this).
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
);
