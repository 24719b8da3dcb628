// ESLint flat config: typescript-eslint strictTypeChecked with the type-aware rules a payments
// codebase needs (design/style.md §N), plus the project's own bans (wall clock, float money
// helpers, default exports).
import tseslint from 'typescript-eslint'

const TS_FILES = [
  'packages/*/src/**/*.ts',
  'packages/*/test/**/*.ts',
  'scripts/**/*.ts',
  'bench/**/*.ts',
]
const TEST_FILES = ['**/*.test.ts', 'packages/*/test/**/*.ts', 'bench/**/*.ts']

/** Time comes from the injected Clock (`deps.clock.now()`), so tests can move it. */
const CLOCK_BANS = [
  {
    selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
    message:
      'Use the injected Clock (deps.clock.now()); only packages/core/src/clock.ts reads the wall clock.',
  },
  {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message:
      'Use the injected Clock (deps.clock.now()); new Date() without an argument reads the wall clock.',
  },
  {
    selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']",
    message: 'Use monotonicMs() from @pepay/core for durations.',
  },
]

/** Money is integers: a float parse or a rounded float string is never an amount. */
const FLOAT_MONEY_BANS = [
  {
    selector: "CallExpression[callee.name='parseFloat']",
    message:
      'No float parsing on server paths: parse decimal text exactly (parseUsdToMillis and friends).',
  },
  {
    selector: "CallExpression[callee.object.name='Number'][callee.property.name='parseFloat']",
    message:
      'No float parsing on server paths: parse decimal text exactly (parseUsdToMillis and friends).',
  },
  {
    selector: "CallExpression[callee.property.name='toFixed']",
    message: 'No toFixed on server paths: format integer units with formatUsdMillis / formatUnits.',
  },
]

const DEFAULT_EXPORT_BANS = [
  { selector: 'ExportDefaultDeclaration', message: 'Named exports only (design/style.md §D).' },
  {
    selector: "ExportNamedDeclaration > ExportSpecifier[exported.name='default']",
    message: 'Named exports only (design/style.md §D).',
  },
]

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/dist/',
      // scratch and tool directories (.pepay data, editors, local experiments)
      '**/.*/',
      'docs/',
      'bench/results/',
      'test-artifacts/',
      'packages/checkout/public/',
    ],
  },
  {
    files: TS_FILES,
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // every state machine switch names all its cases; an explicit `default` is a deliberate catch-all
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        // verbatimModuleSyntax + type stripping: type-only imports must say so
        // `import('x').T` annotations are type-only by construction (lazy-loaded modules use them)
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // numbers, bigints and booleans print unambiguously in messages and SQL-free text
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowRegExp: false },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        // a leading underscore marks a deliberately unused binding (`const { a: _a, ...rest }`)
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
        },
      ],
      // arrow shorthands like `() => resolve()` read clearly; returning void from a block body is still flagged
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        {
          ignoreArrowShorthand: true,
          ignoreVoidOperator: true,
          ignoreVoidReturningFunctions: true,
        },
      ],
      // passing an 'error' event payload or an AbortSignal reason through unchanged is correct
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // async without await is how Fastify handlers and provider interfaces return promises uniformly
      '@typescript-eslint/require-await': 'off',
      // these flag redundant code, not wrong code: kept visible as warnings, never blocking
      '@typescript-eslint/no-unnecessary-type-assertion': 'warn',
      '@typescript-eslint/no-unnecessary-type-arguments': 'warn',
      '@typescript-eslint/no-unnecessary-type-conversion': 'warn',
      '@typescript-eslint/no-unnecessary-type-parameters': 'warn',
      '@typescript-eslint/no-meaningless-void-operator': 'warn',
      '@typescript-eslint/no-extraneous-class': 'warn',
      '@typescript-eslint/no-empty-object-type': 'warn',
      '@typescript-eslint/no-deprecated': 'warn',
      '@typescript-eslint/no-dynamic-delete': 'warn',
      // the escape hatch of noUncheckedIndexedAccess for provably in-range indexes: reviewed, not blocked
      '@typescript-eslint/no-non-null-assertion': 'warn',
      // defensive checks on data whose runtime shape is wider than its static type (JSON, env) are fine
      '@typescript-eslint/no-unnecessary-condition': 'warn',
      'no-restricted-syntax': ['error', ...CLOCK_BANS, ...DEFAULT_EXPORT_BANS],
    },
  },
  {
    files: ['packages/server/src/**/*.ts', 'packages/core/src/**/*.ts'],
    ignores: TEST_FILES,
    rules: {
      'no-restricted-syntax': ['error', ...CLOCK_BANS, ...FLOAT_MONEY_BANS, ...DEFAULT_EXPORT_BANS],
    },
  },
  {
    // the clock itself, tests and the benchmark measure or fake real time; the SDK and the hosted
    // checkout run in the merchant's process or the payer's browser, where the wall clock is the
    // only clock (webhook tolerance, polling deadlines) and no server state depends on it
    files: [
      'packages/core/src/clock.ts',
      'packages/sdk/src/**/*.ts',
      'packages/checkout/src/**/*.ts',
      ...TEST_FILES,
    ],
    rules: {
      'no-restricted-syntax': ['error', ...DEFAULT_EXPORT_BANS],
    },
  },
  {
    files: TEST_FILES,
    rules: {
      // suites read HTTP bodies as untyped JSON and assert their shape field by field
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/restrict-plus-operands': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      // a failed `!` or a redundant `?.` in a test fails the test, which is what it is for
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // test doubles stand in for classes they do not extend
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // node:test's describe/it return promises the runner awaits itself
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: [
                'describe',
                'it',
                'test',
                'suite',
                'before',
                'after',
                'beforeEach',
                'afterEach',
              ],
            },
          ],
        },
      ],
    },
  },
  {
    // the benchmark prints whatever it measured into its report cells
    files: ['bench/**/*.ts'],
    rules: { '@typescript-eslint/no-base-to-string': 'off' },
  },
  {
    // type-level tests are compiled, never run: their expressions exist for the type checker
    files: ['**/*.test-d.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    // a declaration of a third-party module describes its default export as it is
    files: ['**/*.d.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // tool configs are the one place a default export is the convention
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
)
