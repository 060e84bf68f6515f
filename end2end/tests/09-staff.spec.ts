import AxeBuilder from '@axe-core/playwright';
import { createHmac } from 'node:crypto';
import { Page } from '@playwright/test';
import { test, expect, admin, open, signIn } from './helpers';

// Staff management, sessions, two-factor sign-in and the audit viewer, as an admin uses them.

const sam = { email: 'sam.staff@e2e.test', name: 'Sam Staff', role: 'editor', password: 'sam staff password 1' };
const tess = { email: 'tess.totp@e2e.test', name: 'Tess Totp', role: 'admin', password: 'tess totp password 1' };

/// RFC 6238 (SHA-1, 6 digits, 30 s) from a base32 secret: what an authenticator app shows.
function totp(secret: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

async function expectNoSeriousAxeViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), what).toEqual([]);
}

async function signInAsAdmin(page: Page) {
  await signIn(page, admin.email, admin.password);
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
}

async function createAccount(page: Page, account: typeof sam) {
  await open(page, '/staff');
  await page.getByLabel('Email', { exact: true }).fill(account.email);
  await page.getByLabel('Name', { exact: true }).fill(account.name);
  await page.getByLabel('Role').selectOption(account.role);
  await page.getByLabel('Initial password (at least 12 characters)').fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('cell', { name: account.email })).toBeVisible();
}

test.describe.serial('staff, sessions, two-factor and audit', () => {
  test('an admin disables a staff member who is signed in elsewhere', async ({ page, browser, consoleErrors }) => {
    await signInAsAdmin(page);
    await createAccount(page, sam);
    await createAccount(page, tess);

    const elsewhere = await browser.newContext();
    const samPage = await elsewhere.newPage();
    await signIn(samPage, sam.email, sam.password);
    await expect(samPage.getByRole('heading', { name: 'Home' })).toBeVisible();

    await open(page, '/staff');
    await page.getByRole('link', { name: sam.name }).click();
    await expect(page.getByRole('heading', { level: 1, name: new RegExp(sam.name) })).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await expect(page.getByRole('region', { name: 'Open sessions' }).getByRole('row')).toHaveCount(2);
    await expectNoSeriousAxeViolations(page, 'a staff account');
    await page.getByText('Disable the account…').click();
    await page.getByRole('button', { name: 'Disable and sign out' }).click();
    await expect(page.getByText('The account was disabled and its sessions ended.')).toBeVisible();
    await expect(page.getByRole('heading', { level: 1 }).locator('.badge-danger')).toHaveText('disabled');

    // Sam's next click lands on the sign-in page.
    await samPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Customers' }).click();
    await expect(samPage).toHaveURL(/\/sign-in/);
    await samPage.getByLabel('Email', { exact: true }).fill(sam.email);
    await samPage.getByLabel('Password').fill(sam.password);
    await samPage.getByRole('button', { name: 'Sign in' }).click();
    await expect(samPage.getByRole('alert')).toContainText('This account is disabled');
    await elsewhere.close();

    await open(page, '/staff');
    await expectNoSeriousAxeViolations(page, 'the staff list');
    expect(consoleErrors).toEqual([]);
  });

  test('the sessions page lists and ends sessions', async ({ page, browser, consoleErrors }) => {
    const other = await browser.newContext();
    const otherPage = await other.newPage();
    await signInAsAdmin(otherPage);
    await signInAsAdmin(page);
    await open(page, '/account/sessions');
    const mine = page.getByRole('region', { name: 'Your sessions' });
    await expect(mine.getByText('this session')).toBeVisible();
    await expectNoSeriousAxeViolations(page, 'the sessions page');
    const before = await mine.getByRole('button', { name: /^End session/ }).count();
    expect(before).toBeGreaterThan(0);
    await mine.getByRole('button', { name: /^End session/ }).first().click();
    await expect(page.getByText('The session was ended.')).toBeVisible();
    await expect(mine.getByRole('button', { name: /^End session/ })).toHaveCount(before - 1);
    await other.close();
    expect(consoleErrors).toEqual([]);
  });

  test('an admin enrols an authenticator app and signs in with a code', async ({ page, consoleErrors }) => {
    test.setTimeout(90_000);
    await signIn(page, tess.email, tess.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await open(page, '/account/two-factor');
    await expectNoSeriousAxeViolations(page, 'two-factor, before enrolment');
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    const secret = (await page.locator('code.totp-secret').getAttribute('data-secret'))!;
    await expect(page.getByRole('img', { name: 'QR code for the authenticator app' })).toBeVisible();
    await expectNoSeriousAxeViolations(page, 'two-factor, enrolling');
    await page.getByLabel('Code from the app').fill(totp(secret));
    const enrolledAt = Date.now();
    await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
    await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in/);
    await signIn(page, tess.email, tess.password);
    await expect(page).toHaveURL(/\/sign-in\/code/);
    await page.locator('html[data-hydrated="true"]').waitFor();
    await expectNoSeriousAxeViolations(page, 'the code step');
    // A code is accepted once: wait for the app's next code after the one that enrolled.
    const nextStep = (Math.floor(enrolledAt / 30_000) + 1) * 30_000;
    await page.waitForTimeout(Math.max(0, nextStep - Date.now()) + 300);
    await page.getByLabel('Code').fill(totp(secret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await expect(page.locator('.who-name')).toHaveText(tess.name);
    expect(consoleErrors).toEqual([]);
  });

  test('the audit page filters to one customer', async ({ page, consoleErrors }) => {
    await signInAsAdmin(page);
    // Hannah Kowalski's city was edited by the customers suite.
    await open(page, '/customers');
    await page.getByLabel('Search by email, name, company or CMR user id').fill('Kowalski');
    await page.getByRole('link', { name: 'Hannah Kowalski' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Hannah Kowalski' })).toBeVisible();
    const userId = (await page.locator('dd code').first().textContent())!.trim();

    await open(page, '/audit');
    await expectNoSeriousAxeViolations(page, 'the audit log');
    await page.getByLabel('Record', { exact: true }).selectOption('customer');
    await page.getByLabel('Record id (customer id, domain name, …)').fill(userId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(new RegExp(`target_id=${encodeURIComponent(userId)}`));
    const entries = page.locator('ol.history > li');
    await expect(entries.first()).toBeVisible();
    const count = await entries.count();
    for (let i = 0; i < count; i++) {
      await expect(entries.nth(i).locator('.history-head')).toContainText(`customer ${userId}`);
    }
    await expect(page.locator('ol.history')).toContainText('Evanston');
    await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', new RegExp(`target_id=${encodeURIComponent(userId)}`));
    expect(consoleErrors).toEqual([]);
  });
});
