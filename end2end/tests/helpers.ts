import { test as base, expect, Page } from '@playwright/test';

export const admin = {
  email: 'ada.admin@e2e.test',
  name: 'Ada Admin',
  password: 'correct horse battery staple',
};

/// Every test fails on a browser console error or an uncaught exception: a CSP violation or a
/// hydration panic shows up there first.
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(err.message));
    await use(errors);
    expect(errors, 'browser console errors').toEqual([]);
  },
});
export { expect };

/// Opens a page and waits until it is hydrated (interactive).
export async function open(page: Page, url: string) {
  await page.goto(url);
  await page.locator('html[data-hydrated="true"]').waitFor();
}

export async function signIn(page: Page, email: string, password: string) {
  await open(page, '/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
