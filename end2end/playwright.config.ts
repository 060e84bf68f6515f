import { defineConfig } from '@playwright/test';

// The server under test is started by global-setup.ts on this loopback port, with a fresh
// database and no CMR key (so it talks to the built-in sandbox).
export const PORT = Number(process.env.E2E_PORT ?? 3917);

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  // The suites share one server and build on each other (first admin, then sign-in…).
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
