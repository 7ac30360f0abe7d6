import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.cache/**', 'infra/.run/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      // Type-aware rules: each file is checked with the tsconfig of its package (the project service finds it).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A promise left floating in a Kafka callback loses its error and its ordering: await it, or say `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.test.ts'],
    ...jest.configs['flat/recommended'],
    rules: {
      ...jest.configs['flat/recommended'].rules,
      // Every test asserts something: through expect(), or through a helper or property check that does.
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*', 'assert*', 'fc.assert', 'check*'] }],
      // Hooks check the preconditions of the tests that follow (the stack answered, the fixtures are valid).
      'jest/no-standalone-expect': ['error', { additionalTestBlockFunctions: ['beforeAll', 'beforeEach', 'afterAll'] }],
      // Expectations inside data loops (`if audience is patient … else …`) and inside the `refused()` helpers' catch
      // blocks, which throw when nothing was thrown: conditional by design, never skipped unnoticed.
      'jest/no-conditional-expect': 'off',
    },
  },
);
