import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const serverSources = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Fails the build if a module of the server (src/) would get into the bundle: the console takes
 * the server's route schemas and types as types only (`import type`, erased), so none of them may
 * be loaded (docs/architecture.md, "Console API types").
 */
const noServerCode: Plugin = {
  name: 'siyu-no-server-code',
  load(id) {
    if (id.startsWith(serverSources)) {
      this.error(`the console would bundle server code (${id}): import the server's schemas and types with \`import type\``);
    }
    return null;
  },
};

/**
 * The operators' web console. `npm run build:console` builds it into console/dist, which the
 * server serves at /console/ (src/platform/console.routes.ts). For development,
 * `npx vite --config console/vite.config.ts` serves it with hot reload at
 * http://localhost:5173/console/ and proxies the API to SIYU_API_URL (default http://localhost:3000).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  plugins: [react(), noServerCode],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One bundle of React + Ant Design is ~1.3 MB raw, ~400 KB gzipped: fine for an operators' tool.
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: {
      '/v1': { target: process.env.SIYU_API_URL ?? 'http://localhost:3000', changeOrigin: true },
    },
  },
});
