import { defineConfig } from 'tsup'

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    lua: 'src/scripting/index.ts',
    server: 'src/server/index.ts',
    ioredis: 'src/ioredis/index.ts',
    cli: 'src/cli/main.ts',
    persistence: 'src/persistence/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
})
