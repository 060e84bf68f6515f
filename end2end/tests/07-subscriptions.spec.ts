import AxeBuilder from '@axe-core/playwright';
import { test, expect, admin, open, signIn } from './helpers';

test.describe.serial('subscriptions', () => {
  test('turning auto-renew off puts a subscription in the lapsing view', async ({ page, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await open(page, '/subscriptions?tab=active');
    await expect(page.getByRole('heading', { level: 1, name: 'Subscriptions' })).toBeVisible();
    await expect(page.locator('tbody tr').first()).toBeVisible();

    // The first active subscription ending within 14 days that still renews by itself.
    const index = await page.locator('tbody tr').evaluateAll((rows) =>
      rows.findIndex((row) => {
        const cells = Array.from(row.querySelectorAll('td')).map((td) => td.textContent?.trim() ?? '');
        const days = cells[4].match(/in (\d+) days/);
        return days !== null && Number(days[1]) <= 14 && cells[5] === 'on';
      }),
    );
    expect(index).toBeGreaterThanOrEqual(0);
    const row = page.locator('tbody tr').nth(index);
    const domain = (await row.locator('td').nth(1).innerText()).trim();

    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Turn auto-renew off' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Changed 1.' })).toBeVisible();

    await page.getByRole('link', { name: /^Lapsing soon/ }).click();
    await expect(page).toHaveURL(/tab=lapsing/);
    const lapsing = page.locator('tbody tr').filter({ hasText: domain });
    await expect(lapsing).toHaveCount(1);
    await expect(lapsing.locator('td').nth(5)).toHaveText('off');
    await page.locator('html[data-hydrated="true"]').waitFor();
    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);

    // An admin's renewal review reads CMR's price and the wallet, and waits for a confirmation.
    await open(page, '/subscriptions?tab=active');
    await page.getByRole('link', { name: /^Renew the subscription of/ }).first().click();
    await expect(page.getByRole('heading', { level: 1, name: 'Renew a subscription' })).toBeVisible();
    await expect(page.getByText('Balance after')).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    const review = await new AxeBuilder({ page }).analyze();
    expect(review.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);

    // The home page counts what lapses and links there.
    await open(page, '/');
    await expect(page.getByRole('link', { name: /Subscriptions lapsing in 14 days/ })).toHaveAttribute('href', '/subscriptions?tab=lapsing');
  });
});
