import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The small shared modules (lib, composables, generic components, stores, the API client) go with
// the entry: one request instead of a cascade of tiny chunks before a page can start. Pages,
// ECharts and the diff viewer stay in their own chunks, loaded when a page needs them.
const shared = (id: string) => /\/web\/src\/(lib|composables|stores|api)\//.test(id) || (/\/web\/src\/components\//.test(id) && !/DiffViewer/.test(id));

export default defineConfig({
  plugins: [vue()],
  server: { proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080', '/readyz': 'http://127.0.0.1:8080' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: false,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            { name: (id: string) => (shared(id) ? 'app' : null), priority: 10 },
            { name: 'echarts', test: /node_modules\/(echarts|zrender)\//, priority: 5 },
          ],
        },
      },
    },
  },
});
