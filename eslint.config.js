// Type-aware, strict lint. The layering rules (DESIGN.md "Rules") are data:
// a small table of what each layer may not import.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const engineLayers = {
  // layer: folders it must not import from (imports point one way)
  'engine/arch': ['journal', 'mem', 'pgtable', 'smmu', 'host', 'hyp', 'scenario', 'machine', 'api'],
  'engine/journal': ['pgtable', 'smmu', 'host', 'hyp', 'scenario', 'machine', 'api'],
  'engine/mem': ['pgtable', 'smmu', 'host', 'hyp', 'scenario', 'machine', 'api'],
  'engine/pgtable': ['smmu', 'host', 'hyp', 'scenario', 'machine', 'api'],
  'engine/smmu': ['host', 'hyp', 'scenario', 'machine', 'api'],
  'engine/host': ['smmu', 'hyp', 'scenario', 'machine', 'api'],
  'engine/hyp': ['host', 'scenario', 'machine', 'api'],
  'engine/scenario': ['smmu', 'host', 'hyp', 'machine', 'api'],
}

const layerRules = Object.entries(engineLayers).map(([dir, banned]) => ({
  files: [`${dir}/**/*.ts`],
  ignores: ['**/*.test.ts'],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        ...banned.map((b) => ({ group: [`../${b}`, `../${b}/*`, `../../${b}/*`, `../${b}.ts`], message: `${dir} must not import ${b} (DESIGN.md layering)` })),
        { group: ['**/app/*', '**/app', 'react', 'react-dom', 'react/*'], message: 'engine/ must not import app/ or React' },
      ],
    }],
  },
}))

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bin/**', '.ci/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.engine.json', './tsconfig.app.json', './tsconfig.node.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unified-signatures': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      // No code from strings, anywhere (the CSP forbids it in the page too).
      'no-eval': 'error',
      'no-new-func': 'error',
      '@typescript-eslint/no-implied-eval': 'error',
      // `case X: return doVoid()` is the house style for dispatch switches.
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['engine/**/*.ts'],
    ignores: ['engine/**/*.test.ts', 'engine/cli.ts', 'engine/cli/**'],
    rules: {
      'no-restricted-globals': ['error', 'document', 'window', 'localStorage', 'navigator'],
      'no-restricted-syntax': ['error',
        { selector: "MemberExpression[object.name='Date'][property.name='now']", message: 'the engine is deterministic: time is the journal index' },
        { selector: "MemberExpression[object.name='Math'][property.name='random']", message: 'the engine is deterministic' },
      ],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/app/*', '**/app', 'react', 'react-dom'], message: 'engine/ must not import app/ or React' }] }],
    },
  },
  ...layerRules,
  {
    files: ['**/*.test.ts', '**/*.test.tsx', 'e2e/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
)
