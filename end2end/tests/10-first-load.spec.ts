import { test, expect, admin, open, signIn } from './helpers';
import type { Browser, Page } from '@playwright/test';

// The first load of any page, opened with an empty cache: the wasm it transfers (as sent,
// brotli), with each page's code split into chunks of its own (`--split`). The goal is 300 kB;
// it is not met yet (BENCHMARKS.md has the figures), so this fails when the heaviest page
// grows past where it is now, and prints every page against the goal. Only the release
// build is measured (scripts/test runs the suite against it); the debug build is unsplit and
// ten times larger. One test per page: each loads some 80 files into a fresh browser context,
// and twelve of them in one test outgrew its time limit on a busy machine.
const WASM_GOAL = 300_000;
// The heaviest measured page, a profile: 471,439 B (2026-11-27, each page's text in its own
// chunk, build.rs); it was 485,794 B with every page's text in the main module, which this
// ceiling now refuses.
const WASM_CEILING = 480_000;

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

/// Opens `path` signed in (the cookies of `signedIn`) in a new context with an empty cache;
/// checks the wasm it transferred against the ceiling and prints it against the goal.
async function firstLoad(browser: Browser, signedIn: Page, path: string) {
  const cookies = await signedIn.context().cookies();
  const context = await browser.newContext();
  await context.addCookies(cookies);
  const fresh = await context.newPage();
  const errors: string[] = [];
  fresh.on('pageerror', (err) => errors.push(err.message));
  fresh.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
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
  console.log(`first load of ${path}: ${total} B of wasm in ${sizes.length} files (${verdict}; ceiling ${WASM_CEILING} B)`);
  expect(sizes.length, `${path} loads wasm`).toBeGreaterThan(0);
  expect(total, `${path}: ${sizes.join(' + ')} B of wasm`).toBeLessThanOrEqual(WASM_CEILING);
  expect(errors, `console errors on ${path}, freshly loaded`).toEqual([]);
  await context.close();
}

test.describe('first load', () => {
  test.skip(process.env.E2E_PROFILE !== 'release', 'the budget holds for the release build');

  for (const path of pages) {
    test(`${path} stays under the wasm ceiling`, async ({ page, browser, consoleErrors }) => {
      await signIn(page, admin.email, admin.password);
      await page.waitForURL('/');
      await firstLoad(browser, page, path);
      expect(consoleErrors).toEqual([]);
    });
  }

  test('a customer profile (the page with the most parts) stays under the wasm ceiling', async ({
    page,
    browser,
    consoleErrors,
  }) => {
    await signIn(page, admin.email, admin.password);
    await page.waitForURL('/');
    await open(page, '/customers');
    const profile = await page.locator('table a[href^="/customers/"]').first().getAttribute('href');
    await firstLoad(browser, page, profile!);
    expect(consoleErrors).toEqual([]);
  });
});
