import AxeBuilder from '@axe-core/playwright';
import { test, expect, admin, open, sandboxRequests, signIn } from './helpers';
import type { Page } from '@playwright/test';

/// `1,234.56 USD` → 123456 (cents).
function cents(text: string): number {
  const m = text.replace(/,/g, '').match(/-?\d+\.\d{2}/);
  if (!m) throw new Error(`no amount in ${text}`);
  return Math.round(parseFloat(m[0]) * 100);
}

async function expectAxeClean(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
}

async function paidCalls(): Promise<number> {
  return (await sandboxRequests()).filter((r) => r.method === 'POST' && r.path === '/orders/process').length;
}

test.describe.serial('orders', () => {
  test('an admin orders two mailboxes on a new domain, double-clicks confirm, and it is paid once', async ({ page, consoleErrors }) => {
    test.setTimeout(120_000);
    const domain = `e2e-order-${Date.now()}.com`;
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();

    // A seeded customer's profile offers a new order.
    await open(page, '/customers');
    await page.locator('tbody tr').first().getByRole('link').first().click();
    await expect(page.getByRole('link', { name: 'New order' })).toBeVisible();
    const customerUrl = page.url();
    await page.getByRole('link', { name: 'New order' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'New order' })).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await expect(page.getByRole('button', { name: 'Prepare order' })).toBeEnabled();
    await expectAxeClean(page);

    await page.getByLabel('Domains to register (one per line)').fill(domain);
    const first = page.getByRole('group', { name: 'Mailbox 1' });
    await first.getByLabel('Address').fill('ada');
    await first.getByRole('combobox', { name: 'Domain' }).selectOption(domain);
    await first.getByLabel('First name').fill('Ada');
    await first.getByLabel('Last name').fill('Lovelace');
    await page.getByRole('button', { name: 'Add a mailbox' }).click();
    const second = page.getByRole('group', { name: 'Mailbox 2' });
    await second.getByLabel('Address').fill('grace');
    await second.getByLabel('First name').fill('Grace');
    await second.getByLabel('Last name').fill('Hopper');
    await expect(page.getByText('2 × 3.00 USD a month')).toBeVisible();
    await page.getByRole('button', { name: 'Prepare order' }).click();

    // The order's page: prepared (nothing charged), CMR's total, then the confirmation.
    await expect(page.getByRole('heading', { level: 1, name: /^Order / })).toBeVisible();
    await expect(page.getByText('Awaiting confirmation').first()).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await expectAxeClean(page);
    const what = page.getByRole('region', { name: 'What was ordered' });
    const total = cents(await what.locator('dt:has-text("Total") + dd').innerText());
    expect(total).toBe(1450 + 2 * 300);
    const wallet = page.getByRole('link', { name: 'Wallet balance' }).locator('.wallet-amount');
    await expect(wallet).toHaveText(/\d/);
    const before = cents(await wallet.innerText());
    const paidBefore = await paidCalls();

    await page.getByRole('button', { name: /^Confirm and pay/ }).click();
    const dialog = page.getByRole('alertdialog');
    await expect(dialog).toContainText('to the wallet?');
    await dialog.getByRole('button', { name: 'Confirm and pay' }).dblclick();

    // CMR takes a few seconds: the page follows the order until it is completed.
    const status = page.getByRole('region', { name: 'Status' });
    await expect(status.getByText(/Completed: CMR has the final word/)).toBeVisible({ timeout: 60_000 });
    expect((await paidCalls()) - paidBefore).toBe(1);
    await expect(status.getByText(`ada@${domain}`)).toBeVisible();

    // The wallet went down by the total, once; the mailboxes are on the customer.
    await open(page, customerUrl);
    await expect(wallet).toHaveText(/\d/);
    expect(before - cents(await wallet.innerText())).toBe(total);
    await expect(page.getByText(`grace@${domain}`).first()).toBeVisible();

    // The list has the one order, completed.
    await open(page, `/orders?q=${domain}`);
    await expect(page.getByRole('heading', { level: 1, name: 'Orders' })).toBeVisible();
    const rows = page.locator('tbody tr');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText('Completed');
    await expectAxeClean(page);
  });
});
