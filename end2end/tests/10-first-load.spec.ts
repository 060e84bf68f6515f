import { test, expect, admin, open, signIn } from './helpers';

// The first load of any page, opened with an empty cache: the wasm it transfers (as sent,
// brotli), with each page's code split into chunks of its own (`--split`). The goal is 300 kB;
// it is not met yet (BENCHMARKS.md has the figures), so this fails when the heaviest page
// grows past where it is now, and prints every page against the goal. Only the release
// build is measured (scripts/test runs the suite against it); the debug build is unsplit and
// ten times larger.
const WASM_GOAL = 300_000;
const WASM_CEILING = 510_000; // the heaviest measured page, a profile: 485,794 B (2026-11-26)

const pages = [
  '/',
  '/customers',
  '/domains',
  '/orders',
  '/mailboxes',
  '/subscriptions',
  '/wallet',
  '/search?q=a',
  '/staff',
  '/audit',
  '/account/sessions',
];

test.describe('first load', () => {
  test.skip(process.env.E2E_PROFILE !== 'release', 'the budget holds for the release build');

  test("no page's first load grows past the wasm ceiling", async ({ page, browser, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await page.waitForURL('/');
    const cookies = await page.context().cookies();
    // One profile too: the page with the most parts.
    await open(page, '/customers');
    const profile = await page.locator('table a[href^="/customers/"]').first().getAttribute('href');
    const measured: string[] = [];
    const errors: string[] = [];
    for (const path of [...pages, profile!]) {
      const context = await browser.newContext();
      await context.addCookies(cookies);
      const fresh = await context.newPage();
      fresh.on('pageerror', (err) => errors.push(`${path}: ${err.message}`));
      fresh.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`${path}: ${msg.text()}`);
      });
      const wasm: Promise<number>[] = [];
      fresh.on('requestfinished', (request) => {
        if (request.url().endsWith('.wasm')) {
          wasm.push(request.sizes().then((s) => s.responseBodySize));
        }
      });
      await open(fresh, path);
      await fresh.waitForLoadState('networkidle');
      const sizes = await Promise.all(wasm);
      const total = sizes.reduce((a, b) => a + b, 0);
      const verdict = total <= WASM_GOAL ? 'within the goal' : `${total - WASM_GOAL} B over the goal`;
      measured.push(`${path}: ${total} B of wasm in ${sizes.length} files (${verdict})`);
      expect(sizes.length, `${path} loads wasm`).toBeGreaterThan(0);
      expect(total, `${path}: ${sizes.join(' + ')} B of wasm`).toBeLessThanOrEqual(WASM_CEILING);
      await context.close();
    }
    console.log(`first load (goal ${WASM_GOAL} B of wasm, ceiling ${WASM_CEILING} B):\n  ${measured.join('\n  ')}`);
    expect(errors, 'console errors on the freshly loaded pages').toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
