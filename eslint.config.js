// ESLint flat config: typescript-eslint with type information, over every TypeScript file in the
// repository (agent/, drivers/, scripts/, test/ and any top-level folder added later).
// Import cycles (type-only ones included) are checked separately by `npm run check:cycles`
// (madge): import-x/no-cycle skips `import type` edges, so it would miss them.
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/**", "node_modules/**", "release/**", "coverage/**"],
  },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Config files outside tsconfig.json's include get a default project.
          allowDefaultProject: ["vitest.config.ts"],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: "error",
    },
    rules: {
      // ignoreVoid: false — `void p` alone is not enough; a fire-and-forget promise needs a
      // `.catch` that logs (`void p.catch(...)`), or a failure becomes an unhandled rejection.
      "@typescript-eslint/no-floating-promises": ["error", { ignoreVoid: false }],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          args: "after-used",
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
      "@typescript-eslint/return-await": ["error", "in-try-catch"],
      "@typescript-eslint/only-throw-error": "error",
      "@typescript-eslint/no-unused-expressions": "error",
    },
  },
);
