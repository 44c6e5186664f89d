import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The UI builds to web/dist, which `mmkit serve` serves at `/`. Relative asset paths keep it
// servable from any prefix.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  // `vite --config web/vite.config.ts` in development: the API comes from a running `mmkit serve`.
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/outputs': 'http://127.0.0.1:8000',
      '/uploads': 'http://127.0.0.1:8000',
    },
  },
});
