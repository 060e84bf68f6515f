import { test as base, expect, Page } from '@playwright/test';

export const admin = {
  email: 'ada.admin@e2e.test',
  name: 'Ada Admin',
  password: 'correct horse battery staple',
};

export const viewer = {
  email: 'vera.viewer@e2e.test',
  name: 'Vera Viewer',
  role: 'viewer',
  password: 'viewer password 123',
};

/// The account the lockout test locks (so the others stay usable).
export const lockMe = {
  email: 'lock.me@e2e.test',
  name: 'Lock Me',
  role: 'editor',
  password: 'editor password 123',
};

/// The CMR sandbox the server runs in demo mode: its request log shows what reached "CMR".
export async function sandboxRequests(): Promise<
  { method: string; path: string; query: [string, string][]; body: any }[]
> {
  const res = await fetch(`${process.env.SANDBOX_URL}/__sandbox/requests`);
  if (!res.ok) throw new Error(`sandbox request log: HTTP ${res.status}`);
  return res.json();
}

/// Every test fails on a browser console error or an uncaught exception: a CSP violation or a
/// hydration panic shows up there first.
export const test = base.extend<{ consoleErrors: string[] }>({
  consoleErrors: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('console', (msg) => {
      // A refused request (4xx) is an expected answer the page shows; a 5xx is not.
      const refused = /Failed to load resource: the server responded with a status of 4\d\d/;
      if (msg.type() === 'error' && !refused.test(msg.text())) errors.push(msg.text());
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
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
