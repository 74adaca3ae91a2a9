import { defineConfig } from "vite";

// No React plugin: Vite's own transform handles TSX (automatic runtime).
// The build is committed (frontend/dist, embedded by `go build`), so it must be
// reproducible: the same sources and lockfile give byte-identical files on any
// machine. Asset names are content hashes, nothing embeds a time or a path, and
// no .env file or VITE_* variable of the builder's can leak in (envDir: false;
// the sources read no import.meta.env). `make ui-check` holds CI to it.
export default defineConfig({
  oxc: { jsx: { runtime: "automatic" } },
  envDir: false,
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 2000 },
  test: { environment: "jsdom", setupFiles: ["./src/test-setup.ts"] },
});
