import { test, expect, admin, open, signIn } from './helpers';

// The first-load budget: any page, opened with an empty cache, transfers at most 300 kB of
// wasm (as sent, brotli). Only the release build is held to it (scripts/test runs the suite
// against it); the debug build's wasm is ten times larger and unsplit.
const WASM_BUDGET = 300_000;

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

  test('every page stays within the wasm budget with an empty cache', async ({ page, browser, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await page.waitForURL('/');
    const cookies = await page.context().cookies();
    // One profile too: the page with the most parts.
    await open(page, '/customers');
    const profile = await page.locator('a[href^="/customers/U"]').first().getAttribute('href');
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
      measured.push(`${path}: ${total} B of wasm in ${sizes.length} files`);
      expect(sizes.length, `${path} loads wasm`).toBeGreaterThan(0);
      expect(total, `${path}: ${sizes.join(' + ')} B of wasm`).toBeLessThanOrEqual(WASM_BUDGET);
      await context.close();
    }
    console.log(`first load (budget ${WASM_BUDGET} B of wasm):\n  ${measured.join('\n  ')}`);
    expect(errors, 'console errors on the freshly loaded pages').toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
