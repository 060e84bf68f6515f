import AxeBuilder from '@axe-core/playwright';
import { test, expect, admin, open, signIn } from './helpers';

test.describe.serial('wallet', () => {
  test('the wallet page forecasts the auto-renewals against the balance', async ({ page, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await open(page, '/wallet');
    await expect(page.getByRole('heading', { level: 1, name: 'Wallet' })).toBeVisible();
    const balance = page.getByRole('region', { name: 'Balance' });
    await expect(balance.getByRole('status')).toHaveText(/balance (covers|runs out|is below)/);
    const due = page.getByRole('region', { name: 'Auto-renewals due' });
    await expect(due.getByRole('row', { name: /Next 30 days/ })).toBeVisible();
    await expect(due.getByRole('row', { name: /Next 90 days/ })).toBeVisible();
    await expect(due.getByRole('img', { name: /Projected balance over the next 90 days/ })).toBeVisible();
    const renewals = page.getByRole('region', { name: 'Next 90 days, soonest first' });
    await expect(renewals.locator('tbody tr').first()).toBeVisible();

    // The renewal the domains suite made is in the dashboard's own spend records.
    const spend = page.getByRole('region', { name: 'Spent through the dashboard' });
    await expect(spend.locator('tbody tr').first()).toContainText(/\d{4}-\d{2}/);
    await expect(spend.getByRole('link', { name: /Download every item/ })).toHaveAttribute('href', '/wallet/spend.csv');

    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
  });
});
