// The .deb tests: they need release/thingd_<version>_{arm64,amd64}.deb (npm run package) and,
// for the installing one, root. .ci/run runs them after building the packages:
//   npx vitest run -c vitest.packaging.config.ts
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/packaging/deb/**/*.deb-test.ts"],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    reporters: ["default"],
  },
});
