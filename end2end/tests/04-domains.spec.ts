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

  test('an expiring domain from the radar is renewed once and the wallet goes down once', async ({ page, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await open(page, '/domains?due=expiring');
    const wallet = page.getByRole('link', { name: 'Wallet balance' }).locator('.wallet-amount');
    await expect(wallet).toHaveText(/\d/);
    const before = cents(await wallet.innerText());

    // Choose the first domain the radar says expires soon, and review its renewal.
    const first = page.locator('tbody tr').first();
    const name = (await first.locator('td').nth(1).innerText()).trim();
    await first.getByRole('checkbox').check();
    await page.getByRole('link', { name: 'Review renewal…' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Renew domains' })).toBeVisible();
    await expect(page.getByRole('link', { name })).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await expectAxeClean(page);
    const review = page.getByRole('region', { name: /1 domain chosen/ });
    const total = cents(await review.locator('dt:has-text("Total") + dd').innerText());
    expect(total).toBeGreaterThan(0);

    const renewsBefore = (await sandboxRequests()).filter((r) => r.method === 'POST' && r.path === '/domains/renew').length;
    await page.getByRole('button', { name: 'Renew 1 domain…' }).click();
    const confirm = page.getByRole('alertdialog');
    await expect(confirm).toContainText('to the wallet?');
    await confirm.getByRole('button', { name: 'Renew now' }).click();
    await expect(page.getByText(`Renewal queued for ${name}`)).toBeVisible();
    const renews = (await sandboxRequests()).filter((r) => r.method === 'POST' && r.path === '/domains/renew');
    expect(renews.length - renewsBefore).toBe(1);

    // A reload of the review finds the renewal under way and offers nothing to pay.
    await page.reload();
    await expect(page.getByText(/A renewal is already under way|None of these domains/).first()).toBeVisible();
    expect((await sandboxRequests()).filter((r) => r.method === 'POST' && r.path === '/domains/renew').length - renewsBefore).toBe(1);

    // The wallet went down by the price, once.
    await open(page, `/domains/${name}`);
    await expect(wallet).toHaveText(/\d/);
    expect(before - cents(await wallet.innerText())).toBe(total);
    await expect(page.getByRole('heading', { level: 1, name: new RegExp(name) })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'History' })).toBeVisible();
    await expect(page.getByText('domain.renew', { exact: true }).first()).toBeVisible();
    // CMR confirms the renewal by webhook; the timeline shows it without a reload.
    await expect(page.getByText('domain.renewal.success').first()).toBeVisible({ timeout: 30_000 });
    await expectAxeClean(page);
  });

  test('an MX record is added through the lint and the reviewed difference', async ({ page, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await open(page, '/domains?status=ACTIVE&sort=name');
    const name = (await page.locator('tbody tr').first().locator('td').nth(1).innerText()).trim();
    await open(page, `/domains/${name}`);
    await page.getByRole('link', { name: 'DNS records' }).click();
    await expect(page.getByRole('heading', { level: 1, name: `DNS of ${name}` })).toBeVisible();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await expectAxeClean(page);

    const form = page.getByRole('region', { name: 'Add a record' });
    await form.getByLabel('Host').fill('@');
    await form.getByLabel('Type').selectOption('MX');
    await form.getByLabel('Priority').fill('70');
    // A bad value is refused at its field before anything else happens.
    await form.getByLabel('Value').fill('192.0.2.1');
    await form.getByRole('button', { name: 'Add to the draft' }).click();
    await expect(form.locator('#dns-value-error')).not.toBeEmpty();
    await form.getByLabel('Value').fill('backup-mx.e2e.example.net');
    await form.getByRole('button', { name: 'Add to the draft' }).click();
    const row = page.locator('tbody tr', { hasText: 'backup-mx.e2e.example.net' });
    await expect(row).toContainText('new');

    // The lint speaks about the draft (this MX is not the mail provider's).
    const checks = page.getByRole('region', { name: 'Checks' });
    await expect(checks.locator('li').first()).toBeVisible();
    await expect(checks).toContainText(/MX/);

    await page.getByRole('button', { name: 'Review 1 change…' }).click();
    const diff = page.getByRole('group', { name: /Send these 1 change/ });
    await expect(diff.getByRole('heading', { name: 'Added' })).toBeVisible();
    await expect(diff).toContainText('MX @ 70 backup-mx.e2e.example.net');
    const addsBefore = (await sandboxRequests()).filter((r) => r.method === 'POST' && r.path === '/dns').length;
    await diff.getByRole('button', { name: 'Save to CMR' }).click();
    await expect(page.getByText('Saved 1 change to CMR.')).toBeVisible();
    // Read again from CMR: the record has its TTL now, and the draft matches.
    await expect(page.locator('tbody tr', { hasText: 'backup-mx.e2e.example.net' })).toContainText('3600 s');
    await expect(page.getByText("The draft matches CMR's records")).toBeVisible();
    const adds = (await sandboxRequests()).filter((r) => r.method === 'POST' && r.path === '/dns');
    expect(adds.length - addsBefore).toBe(1);
    expect(adds[adds.length - 1].body.records[0]).toEqual({
      host: '@',
      value: 'backup-mx.e2e.example.net',
      recordType: 'MX',
      priority: '70',
    });
  });
});
