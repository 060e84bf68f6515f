import AxeBuilder from '@axe-core/playwright';
import { test, expect, admin, open, signIn } from './helpers';
import type { Page } from '@playwright/test';

async function expectAxeClean(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
}

test.describe.serial('mailboxes', () => {
  test('filter by a customer, rename a mailbox, see it requested and then renamed', async ({ page, consoleErrors }) => {
    test.setTimeout(60_000);
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await open(page, '/mailboxes?status=ACTIVE');
    await expect(page.getByRole('heading', { level: 1, name: 'Mailboxes' })).toBeVisible();
    const first = page.locator('tbody tr').first();
    await expect(first).toBeVisible();
    // Columns: Choose, Address, Name, Domain, Customer, … (an admin may tick rows).
    const customer = (await first.locator('td').nth(4).innerText()).trim();

    // Filter by that customer: every row is theirs.
    await page.getByLabel('Address, name, domain or customer').fill(customer);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect(page).toHaveURL(/q=/);
    const rows = page.locator('tbody tr');
    await expect(rows.first()).toBeVisible();
    for (const cell of await rows.locator('td:nth-child(5)').allInnerTexts()) {
      expect(cell.trim()).toBe(customer);
    }
    await page.locator('html[data-hydrated="true"]').waitFor();
    await expectAxeClean(page);

    await rows.first().getByRole('link').first().click();
    await expect(page.getByRole('heading', { level: 2, name: 'Rename' })).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await expect(page.getByText('Hidden. Revealing them is recorded in the audit log.')).toBeVisible();
    await expectAxeClean(page);

    const newFirst = `Renamed${Date.now() % 100000}`;
    await page.getByLabel('First name').fill(newFirst);
    await page.getByRole('button', { name: 'Request the rename' }).click();
    await expect(page.getByRole('status').filter({ hasText: `Rename to “${newFirst}` })).toBeVisible();
    // CMR applies it a few seconds later; the page shows the new name once it does.
    const mailbox = page.getByRole('region', { name: 'Mailbox' });
    await expect(mailbox.locator('dt:has-text("Name") + dd')).toContainText(newFirst, { timeout: 20_000 });
    await expect(page.getByRole('status').filter({ hasText: 'Rename to' })).toHaveCount(0);
  });
});
