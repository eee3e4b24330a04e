import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layers of src/, top to bottom: imports point down only. Each folder may not import the
// folders listed above it (a folder's own files and anything lower are fine).
const LAYERS = [
  ["commands", "api", "sea"],
  ["pack", "install"],
  ["modprobe", "info", "coldplug"],
  ["cli-kit"],
  ["kernel"],
  ["resolve"],
  ["config", "bundle"],
  ["index"],
  ["tree", "elf", "compress", "io"],
  ["util"],
];

function layerRules() {
  return LAYERS.flatMap((folders, level) => {
    const above = LAYERS.slice(0, level).flat();
    if (above.length === 0) return [];
    return [
      {
        files: folders.map((folder) => `src/${folder}/**/*.ts`),
        rules: {
          "no-restricted-imports": [
            "error",
            { patterns: [{ regex: `^\\.\\.?/(?:\\.\\./)*(?:${above.join("|")})(?:/|$)`, message: `imports point down: ${folders.join(", ")} may not import from ${above.join(", ")}` }] },
          ],
        },
      },
    ];
  });
}

export default tseslint.config(
  { ignores: ["build/", "dist/", "node_modules/", ".cache/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-constant-condition": ["error", { checkLoops: false }],
      // `import fs = require("node:fs")` keeps bundled commands from copying whole built-in
      // modules into namespace objects at start-up.
      "@typescript-eslint/no-require-imports": ["error", { allowAsImport: true }],
    },
  },
  ...layerRules(),
  {
    files: ["native-bindings/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^\\.\\./src/(?!util/|errors$)", message: "native-bindings is the bottom layer: it imports only src/util and src/errors" }] }],
    },
  },
  {
    files: ["src/errors.ts", "src/code-cache.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^\\./(?!util/|errors$)", message: "a shared module at the bottom imports only src/util and src/errors" }] }],
    },
  },
  {
    files: ["native-bindings/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
);
