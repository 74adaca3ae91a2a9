import { defineConfig } from "vite";

// No React plugin: Vite's own transform handles TSX (automatic runtime).
export default defineConfig({
  oxc: { jsx: { runtime: "automatic" } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2000 },
  test: { environment: "jsdom", setupFiles: ["./src/test-setup.ts"] },
});
