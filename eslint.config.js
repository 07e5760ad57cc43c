// Lint rules, including the layer rule of DESIGN.md §1: each folder under src/ may
// import only the layers below it, and the pure layers (raft, kv) touch no clock,
// no randomness and no process.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Folders of ours that each layer must NOT import (relative imports resolve into these).
const layers = {
  base: ['cli', 'server', 'resp', 'node', 'kv', 'raft', 'storage', 'transport', 'sim', 'check'],
  cli: [],
  server: ['cli', 'sim', 'check', 'raft'],
  resp: ['cli', 'server', 'node', 'kv', 'raft', 'storage', 'transport', 'sim', 'check'],
  node: ['cli', 'server', 'resp', 'kv', 'sim', 'check'],
  kv: ['cli', 'server', 'resp', 'node', 'raft', 'storage', 'transport', 'sim', 'check'],
  raft: ['cli', 'server', 'resp', 'node', 'kv', 'storage', 'transport', 'sim', 'check'],
  storage: ['cli', 'server', 'resp', 'node', 'kv', 'raft', 'transport', 'sim', 'check'],
  transport: ['cli', 'server', 'resp', 'node', 'kv', 'storage', 'sim', 'check'],
  sim: ['cli', 'server', 'resp', 'transport'],
  check: ['cli', 'server', 'resp', 'node', 'kv', 'raft', 'storage', 'transport', 'sim'],
};

// DESIGN.md §1: the simulator runs the server's write path, and no other part of src/server/:
// forwarding, retries and exactly-once (write-path.ts and its two codecs), and the adapter from the
// runtime's LogStore to the storage layer (log-store.ts).
const simServerModules = ['write-path.js', 'forward-codec.js', 'forwarded-reply.js', 'log-store.js'];

const pureGlobals = [
  { name: 'Date', message: 'The pure layers read no clock: take time as an input.' },
  { name: 'setTimeout', message: 'The pure layers have no timers: the runtime calls tick().' },
  { name: 'setInterval', message: 'The pure layers have no timers: the runtime calls tick().' },
  { name: 'setImmediate', message: 'The pure layers have no timers.' },
  { name: 'queueMicrotask', message: 'The pure layers schedule nothing.' },
  { name: 'process', message: 'The pure layers do not touch the process.' },
  { name: 'performance', message: 'The pure layers read no clock.' },
];

const layerConfigs = Object.entries(layers).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: [
        ...banned.map((b) => ({
          ...(layer === 'sim' && b === 'server'
            ? { regex: `^(\\.\\./)+server(/(?!(${simServerModules.map((m) => m.replace('.', '\\.')).join('|')})$).*)?$` }
            : { group: [`../${b}/*`, `../${b}`, `../../${b}/*`] }),
          message: `src/${layer}/ may not import src/${b}/ (DESIGN.md §1 layer rule${layer === 'sim' && b === 'server' ? `; the write path, ${simServerModules.join(', ')}, excepted` : ''}).`,
        })),
        ...((layer === 'raft' || layer === 'kv' || layer === 'base')
          ? [{ group: ['node:*', 'fs', 'net', 'os', 'crypto', 'path', 'timers'], message: `src/${layer}/ is pure: no node modules.` }]
          : []),
      ],
    }],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'bench/results/**', 'chaos-runs/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', clearImmediate: 'readonly', URL: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', performance: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerConfigs,
  {
    files: ['src/raft/**/*.ts', 'src/kv/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...pureGlobals],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Use the seeded PRNG passed in the config.' },
        { object: 'Date', property: 'now', message: 'The pure layers read no clock.' },
      ],
    },
  },
  {
    files: ['src/raft/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', ...pureGlobals, { name: 'Buffer', message: 'The core uses Uint8Array, not node Buffer.' }] },
  },
);
