// The islands probe (docs/islands-probe/README.md): drives the probe build in Chromium.
// `BASE=http://127.0.0.1:3555 SETUP_URL=<the URL the server printed> node probe.mjs`
// (SETUP_URL=x when the first admin exists). Needs end2end's npm packages installed.
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');
const base = process.env.BASE, setupUrl = process.env.SETUP_URL;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const ctx = await browser.newContext({ baseURL: base, permissions: ['clipboard-read', 'clipboard-write'] });
const page = await ctx.newPage();
const errors = [];
// As the browser suite: a refused request (4xx) is an answer the page shows, not an error.
const refused = /Failed to load resource: the server responded with a status of 4\d\d/;
page.on('console', (m) => { if (m.type() === 'error' && !refused.test(m.text())) errors.push(m.text()); });
page.on('response', (r) => { if (r.status() >= 400) console.log('status', r.status(), r.url()); });
page.on('pageerror', (e) => errors.push(String(e)));
const wasm = [];
page.on('response', async (r) => { if (r.url().endsWith('.wasm')) { const s = await r.request().sizes(); wasm.push([r.url(), s.responseBodySize, r.headers()['content-encoding']]); } });
const check = (what, ok) => { console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`); if (!ok) process.exitCode = 1; };

if (setupUrl !== 'x') {
await page.goto(setupUrl);
await page.getByLabel('Email', { exact: true }).fill('admin@probe.test');
await page.getByLabel('Your name').fill('Probe Admin');
await page.getByLabel('Password (at least 12 characters)').fill('correct horse battery');
await page.getByLabel('Repeat the password').fill('correct horse battery');
await page.getByRole('button', { name: 'Create admin and sign in' }).click();
await page.waitForURL(/\/$/, { timeout: 15000 });
check('set-up (a plain form post, no island) signs in and lands on home', true);
}

await ctx.clearCookies();
wasm.length = 0;
await page.goto('/sign-in');
await page.waitForTimeout(1500);
check(`sign-in page: wasm transferred ${JSON.stringify(wasm.map(([u, s, e]) => [u.split('/').pop(), s, e]))}`, wasm.length === 1);
await page.evaluate(() => { window.__noReload = 1; });
await page.getByLabel('Email', { exact: true }).fill('admin@probe.test');
await page.getByLabel('Password').fill('wrong password here');
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByRole('alert').waitFor({ timeout: 10000 });
const stayed = await page.evaluate(() => window.__noReload === 1);
check(`a wrong password shows the error in place (no page load: ${stayed}): ${(await page.getByRole('alert').innerText()).slice(0, 80)}`, stayed);
await page.getByLabel('Password').fill('correct horse battery');
await page.getByRole('button', { name: 'Sign in' }).click();
await page.waitForURL(/\/$/, { timeout: 15000 });
check('the island form signs in and the server redirect lands on home', true);

const list = await page.request.get('/customers');
const id = [...(await list.text()).matchAll(/href="\/customers\/([A-Z0-9]{20,})"/g)][0]?.[1];
wasm.length = 0;
await page.goto(`/customers/${id}`);
await page.waitForTimeout(1500);
check(`profile page: wasm transferred ${JSON.stringify(wasm.map(([u, s, e]) => [u.split('/').pop(), s, e]))}`, wasm.length === 1);
const islands = await page.locator('leptos-island').count();
check(`profile page has ${islands} islands`, islands >= 4);
await page.getByRole('button', { name: 'Copy user id' }).click();
await page.getByRole('button', { name: 'Copy user id' }).filter({ hasText: 'Copied' }).waitFor({ timeout: 5000 });
const clip = await page.evaluate(() => navigator.clipboard.readText());
check(`the copy island copied the id (${clip === id})`, clip === id);
const timeline = page.waitForRequest((r) => r.url().includes('/api/customers/timeline'), { timeout: 8000 }).then(() => true, () => false);
check('the live-history island asks for the timeline again within 8 s', await timeline);
await page.getByText(/^Delete .*…$/).click();
await page.getByRole('button', { name: 'Delete permanently' }).waitFor();
const disabled = await page.getByRole('button', { name: 'Delete permanently' }).isDisabled();
check(`the delete island's button waits for the typed email (disabled: ${disabled})`, disabled);
check(`console errors: ${JSON.stringify(errors)}`, errors.length === 0);
await browser.close();
