import AxeBuilder from '@axe-core/playwright';
import { test, expect, admin, open, signIn } from './helpers';

test.describe.serial('domains', () => {
  test('the partner-wide list filters by status and exports what it shows', async ({ page, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    // The sync starts with the server; its first pass over the demo partner takes about 25 s.
    await expect(async () => {
      await open(page, '/domains');
      await expect(page.getByText(/domains · from the partner index/)).toBeVisible({ timeout: 2_000 });
    }).toPass({ timeout: 90_000, intervals: [1_000, 2_000, 5_000] });
    await expect(page.getByRole('heading', { level: 1, name: 'Domains' })).toBeVisible();
    await page.getByLabel('Status').selectOption('GRACE_PERIOD');
    await page.getByRole('button', { name: 'Show' }).click();
    await expect(page).toHaveURL(/status=GRACE_PERIOD/);
    const rows = page.locator('tbody tr');
    await expect(rows.first()).toBeVisible();
    const badges = page.locator('tbody .badge');
    const count = await badges.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) await expect(badges.nth(i)).toHaveText('GRACE_PERIOD');

    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export CSV' }).click();
    const csv = await (await download).createReadStream();
    let text = '';
    for await (const chunk of csv) text += chunk.toString();
    const lines = text.trim().split('\r\n');
    expect(lines[0]).toContain('domain,customer');
    expect(lines.length - 1).toBe(count);

    // The expiry radar's groups open their domains.
    await open(page, '/domains');
    const radar = page.getByRole('region', { name: 'Expiry radar' });
    await radar.getByRole('link', { name: /In the grace period/ }).click();
    await expect(page).toHaveURL(/due=grace/);
    await expect(page.locator('tbody tr').first()).toBeVisible();
    await expect(radar.getByRole('link', { name: /In the grace period/ })).toHaveAttribute('aria-current', 'page');

    const results = await new AxeBuilder({ page }).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
  });
});
