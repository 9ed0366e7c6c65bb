import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // e2e suites start Prosody and child processes; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for something another process does (a state file, a log line): 1 s,
    // vitest's default, is too short on a loaded machine; 15 s still fails a real hang.
    expect: { poll: { timeout: 15_000, interval: 100 } },
    fileParallelism: false,
    reporters: ["default"],
  },
});
