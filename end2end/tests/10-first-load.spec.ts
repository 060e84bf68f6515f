import { test, expect, admin, open, signIn } from './helpers';
import type { Browser, Page } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';

// The first load of any page, opened with an empty cache: the wasm it transfers (as sent:
// brotli, or compressed against the shell, `dcb`, once Chromium holds the shell as a
// dictionary). Each page is one lazy island (app/src/lazy_pages.rs) whose code is split into
// chunks of its own, and a page's first load fetches its chunks as one bundle
// (split-wasm/src/bundle.rs). Every page meets the 300 kB budget both ways (BENCHMARKS.md has
// the figures; the heaviest, a domain's page, is 292,412 B as plain brotli and a domain's DNS
// 277,884 B against the shell), so this fails the moment any page grows past it, and prints
// each page's headroom. Only the release build is measured (scripts/test runs the suite
// against it); the debug build is unsplit and ten times larger. One test per page: each loads
// a fresh browser context.
const WASM_BUDGET = 300_000;
/// What `bytes` of wasm leave of the budget, or how far past it they are.
const headroom = (bytes: number): string =>
  bytes <= WASM_BUDGET ? `${WASM_BUDGET - bytes} B to spare` : `${bytes - WASM_BUDGET} B over`;

const pkg = path.resolve(__dirname, '..', '..', 'target', 'site', 'pkg');
/// The chunks the build also compressed against the shell (`<chunk>.wasm.dcb`, written by
/// scripts/release): Chromium announces the shell as its dictionary and gets these.
const dictionaryChunks = (): Set<string> =>
  new Set(
    fs.existsSync(pkg)
      ? fs.readdirSync(pkg).filter((f) => f.endsWith('.wasm.dcb')).map((f) => f.slice(0, -'.dcb'.length))
      : [],
  );

/// The bundle the chunks' loader asks for when a page needs exactly `chunks`: FNV-1a of the
/// sorted names joined by commas, as split-wasm and the loader compute it. `names` is that
/// joined list, which the bundle's header holds.
function bundleOf(chunks: string[]): { file: string; names: string } {
  const names = [...new Set(chunks)].sort().join(',');
  let hash = 0x811c9dc5;
  for (let i = 0; i < names.length; i++) hash = Math.imul(hash ^ names.charCodeAt(i), 0x01000193) >>> 0;
  return { file: `bundle-${hash.toString(16).padStart(8, '0')}.wasm`, names };
}

/// A new browser context with an empty cache and the cookies of `signedIn`, and the console
/// errors its page reports (those matching `expected` left out).
async function freshPage(browser: Browser, signedIn: Page, expected?: RegExp) {
  const context = await browser.newContext();
  await context.addCookies(await signedIn.context().cookies());
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !(expected && expected.test(msg.text()))) errors.push(msg.text());
  });
  return { context, page, errors };
}

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
/// checks the wasm it transferred against the budget and prints its headroom.
async function firstLoad(browser: Browser, signedIn: Page, path: string) {
  const { context, page: fresh, errors } = await freshPage(browser, signedIn);
  const wasm: Promise<{ file: string; size: number; encoding: string }>[] = [];
  fresh.on('requestfinished', (request) => {
    if (request.url().endsWith('.wasm')) {
      wasm.push(
        (async () => ({
          file: new URL(request.url()).pathname.replace(/^\/pkg\//, ''),
          size: (await request.sizes()).responseBodySize,
          encoding: (await (await request.response())?.headerValue('content-encoding')) ?? 'none',
        }))(),
      );
    }
  });
  await open(fresh, path);
  await fresh.waitForLoadState('networkidle');
  const files = await Promise.all(wasm);
  const sizes = files.map((f) => f.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const dcb = files.filter((f) => f.encoding === 'dcb').length;
  console.log(
    `first load of ${path}: ${total} B of wasm in ${sizes.length} files, ${dcb} of them against the shell (${headroom(total)}; budget ${WASM_BUDGET} B)`,
  );
  expect(sizes.length, `${path} loads wasm`).toBeGreaterThan(0);
  // Chunks fetched after the shell arrived come compressed against it: Chromium kept the
  // shell as a dictionary and named it, and the server recognised it. The page's HTML has
  // no preload hints for its chunks (app/src/lib.rs), which would fetch them beside the
  // shell, before there is a dictionary: so every chunk with a `.dcb` must come as one.
  const withDictionary = dictionaryChunks();
  expect(withDictionary.size, 'scripts/release wrote the chunks compressed against the shell').toBeGreaterThan(0);
  const wrong = files.filter((f) => !['dcb', 'br'].includes(f.encoding));
  expect(wrong.map((f) => `${f.file} came as ${f.encoding}`), `${path}: wasm not compressed`).toEqual([]);
  expect(dcb, `${path}: chunks sent against the shell`).toBeGreaterThan(0);
  const plain = files.filter((f) => withDictionary.has(f.file) && f.encoding !== 'dcb');
  expect(plain.map((f) => f.file), `${path}: chunks sent without the shell as their dictionary`).toEqual([]);
  // The page's chunks came as one bundle, not one by one.
  const names = files.map((f) => f.file).sort();
  expect(names.filter((f) => f !== 'cmr-admin.wasm' && !f.startsWith('bundle-')), `${path}: chunks fetched apart`).toEqual([]);
  expect(names.filter((f) => f.startsWith('bundle-')).length, `${path}: one bundle`).toBe(1);
  expect(total, `${path}: ${sizes.join(' + ')} B of wasm`).toBeLessThanOrEqual(WASM_BUDGET);
  expect(errors, `console errors on ${path}, freshly loaded`).toEqual([]);
  await context.close();
}

test.describe('first load', () => {
  test.skip(process.env.E2E_PROFILE !== 'release', 'the budget holds for the release build');

  for (const path of pages) {
    test(`${path} stays within the wasm budget`, async ({ page, browser, consoleErrors }) => {
      await signIn(page, admin.email, admin.password);
      await page.waitForURL('/');
      await firstLoad(browser, page, path);
      expect(consoleErrors).toEqual([]);
    });
  }

  test('a customer profile (the page with the most parts) stays within the wasm budget', async ({
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

  // A bundle that fails: an error; bytes that are not a bundle, as from a proxy that mangles
  // it (they fail the loader's unpacking); or a well-formed bundle of other chunks, whose
  // header the loader checks. It fetches the chunks one by one and the page still hydrates.
  const anotherBundle = (asked: string): Buffer => {
    const other = fs.readdirSync(pkg).find((f) => /^bundle-[0-9a-f]{8}\.wasm$/.test(f) && !asked.endsWith(`/${f}`));
    expect(other, 'the build wrote more than one bundle').toBeTruthy();
    return fs.readFileSync(path.join(pkg, other!));
  };
  const faults = {
    'an error': () => ({ status: 503, body: 'unavailable' }),
    'the wrong bytes': () => ({ status: 200, contentType: 'application/wasm', body: Buffer.from([9, 0, 0, 0, 1, 2, 3]) }),
    "another page's chunks": (asked: string) => ({ status: 200, contentType: 'application/wasm', body: anotherBundle(asked) }),
  };
  for (const [fault, answer] of Object.entries(faults)) {
    test(`a bundle that answers with ${fault} falls back to the chunks apart`, async ({ page, browser, consoleErrors }) => {
      await signIn(page, admin.email, admin.password);
      await page.waitForURL('/');
      const { context, page: fresh, errors } = await freshPage(browser, page, /status of 503/);
      const bundles: string[] = [];
      await fresh.route('**/pkg/bundle-*.wasm', (route) => {
        bundles.push(route.request().url());
        return route.fulfill(answer(route.request().url()));
      });
      const chunks: string[] = [];
      fresh.on('request', (request) => {
        if (/\/pkg\/(chunk|split)_[^/]*\.wasm$/.test(request.url())) chunks.push(request.url());
      });
      await open(fresh, '/wallet');
      await expect(fresh.getByRole('heading', { level: 1, name: 'Wallet' })).toBeVisible();
      expect(bundles, 'the loader asked for the bundle').toHaveLength(1);
      expect(chunks.length, 'then for the chunks one by one').toBeGreaterThan(10);
      expect(errors, 'console errors besides the failed bundle').toEqual([]);
      await context.close();
      expect(consoleErrors).toEqual([]);
    });
  }

  // Every page, including those no test above opens (a domain's DNS is the heaviest): the
  // shell plus the bundle of the chunks the build's split manifest lists for the page, as the
  // server sends them (the precompressed files). The tests above show this is what Chromium
  // fetches.
  test('every page, by the split manifest, stays within the wasm budget', () => {
    const manifest: Record<string, string[]> = JSON.parse(
      fs.readFileSync(path.join(pkg, '__wasm_split_manifest.json'), 'utf8'),
    );
    const sent = (file: string) => fs.statSync(path.join(pkg, `${file}.br`)).size;
    // What a browser that holds the shell as a dictionary gets: the `.dcb` where there is one.
    const withShell = (file: string) =>
      fs.existsSync(path.join(pkg, `${file}.dcb`)) ? fs.statSync(path.join(pkg, `${file}.dcb`)).size : sent(file);
    const shell = sent('cmr-admin.wasm');
    const pages = Object.entries(manifest).map(([view, chunks]) => {
      const bundle = bundleOf(chunks);
      // The bundle is the page's chunks as written, and says which in its header.
      const bytes = fs.readFileSync(path.join(pkg, bundle.file));
      const header = bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString('utf8');
      expect(header, `${bundle.file} holds ${view}'s chunks`).toBe(bundle.names);
      return {
        page: view.replace(/_loader_\d+$/, ''),
        apart: shell + chunks.reduce((sum, chunk) => sum + withShell(`${chunk}.wasm`), 0),
        total: shell + sent(bundle.file),
        dictionary: shell + withShell(bundle.file),
      };
    });
    expect(pages.length, 'the manifest lists the lazy pages').toBeGreaterThan(20);
    const over = pages.filter((p) => p.total > WASM_BUDGET);
    for (const p of pages.sort((a, b) => b.total - a.total)) {
      console.log(
        `manifest, ${p.page}: ${p.total} B of wasm (${headroom(p.total)}); ${p.dictionary} B against the shell (${headroom(p.dictionary)}; ${p.apart} B with its chunks apart)`,
      );
    }
    expect(over, `pages over the ${WASM_BUDGET} B budget`).toEqual([]);
    expect(dictionaryChunks().size, 'scripts/release wrote the chunks compressed against the shell').toBeGreaterThan(0);
    const overWithShell = pages.filter((p) => p.dictionary > WASM_BUDGET);
    expect(overWithShell, `pages over ${WASM_BUDGET} B against the shell`).toEqual([]);
  });
});
