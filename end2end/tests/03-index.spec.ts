import AxeBuilder from '@axe-core/playwright';
import { test, expect, admin, open, signIn } from './helpers';

// The demo sandbox's first customer and one of her domains (the seed is deterministic).
const owner = 'Olivia Bennett';
const domain = 'trynorthwindgrowth.com';

test.describe.serial('partner index', () => {
  test('a domain pasted into the look-up box opens its owner', async ({ page, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    // The index is filled by the background sync from the server's start (2 CMR calls a
    // second); until it has seen the domain, the look-up says so and can be asked again.
    await expect(async () => {
      await page.getByLabel('Open a customer by email, domain name or CMR user id').fill(domain.toUpperCase());
      await page.getByRole('button', { name: 'Open', exact: true }).click();
      await expect(page.getByRole('heading', { level: 1, name: owner })).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 90_000, intervals: [1_000, 2_000, 5_000] });
    await expect(page).toHaveURL(/\/customers\/[A-Z0-9]+$/);
  });

  test('one search finds customers, domains and mailboxes, and the index status shows the sync', async ({
    page,
    consoleErrors,
  }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await open(page, '/search');
    await page.getByLabel('Customer, domain or mailbox').fill('northwind');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(page).toHaveURL(/\/search\?q=northwind/);
    const domains = page.getByRole('region', { name: 'Domains' });
    await expect(domains.getByRole('link', { name: domain })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Customers' }).getByRole('link', { name: owner })).toBeVisible();
    // A domain opens its own page, which names its owner.
    await domains.getByRole('link', { name: domain }).click();
    await expect(page.getByRole('heading', { level: 1, name: new RegExp(domain) })).toBeVisible();
    await page.getByRole('link', { name: owner }).click();
    await expect(page.getByRole('heading', { level: 1, name: owner })).toBeVisible();

    await open(page, '/index-status');
    await expect(page.getByRole('heading', { level: 1, name: 'Partner index' })).toBeVisible();
    await expect(page.getByText("Share of CMR's budget", { exact: true })).toBeVisible();
    await expect(page.getByText('Last full pass', { exact: true })).toBeVisible();
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
  });

  test('a lifecycle event from CMR appears on the customer\'s timeline without a reload', async ({
    page,
    consoleErrors,
  }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await page.getByLabel('Open a customer by email, domain name or CMR user id').fill(domain);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: owner })).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    const history = page.getByRole('region', { name: 'History' });
    await expect(history).toBeVisible();
    await expect(history).not.toContainText('domain.expired');

    // The registrar's expiry passes in the sandbox; it sends a signed domain.expired webhook.
    const res = await fetch(`${process.env.SANDBOX_URL}/__sandbox/expire-domain?name=${domain}`, { method: 'POST' });
    expect(res.status).toBe(204);
    await expect(history).toContainText('domain.expired', { timeout: 20_000 });
    await expect(history).toContainText(domain);
  });
});
