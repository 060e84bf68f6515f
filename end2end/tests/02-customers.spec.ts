import AxeBuilder from '@axe-core/playwright';
import { Browser, Page } from '@playwright/test';
import { test, expect, admin, viewer, open, signIn, sandboxRequests } from './helpers';

async function signInAsAdmin(page: Page) {
  await signIn(page, admin.email, admin.password);
  await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
}

async function openCustomer(page: Page, search: string, name: string) {
  await open(page, '/customers');
  await page.getByLabel('Search by email, name, company or CMR user id').fill(search);
  await expect(page).toHaveURL(new RegExp(`q=${encodeURIComponent(search)}`));
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  await page.locator('html[data-hydrated="true"]').waitFor();
}

/// Opens the customer's edit form here, and saves `field = value` from a second signed-in
/// browser meanwhile: this page's form then holds a stale view of that field.
async function editMeanwhile(page: Page, browser: Browser, search: string, name: string, field: string, value: string) {
  await signInAsAdmin(page);
  await openCustomer(page, search, name);
  const editUrl = page.url() + '/edit';
  await open(page, editUrl);

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await signInAsAdmin(otherPage);
  await open(otherPage, editUrl);
  await otherPage.getByLabel(field, { exact: true }).fill(value);
  await otherPage.getByRole('button', { name: 'Save changes' }).click();
  // Saved once the profile opens. (Not a heading match: "Edit <name>", the edit page's own,
  // contains the name, so it would pass at once, and closing the context then could cancel
  // the save it is still sending.)
  await expect(otherPage).toHaveURL(editUrl.replace(/\/edit$/, ''));
  await expect(otherPage.getByRole('heading', { level: 1, name, exact: true })).toBeVisible();
  await other.close();
}

/// The server functions `page` calls from now on, as "METHOD /api/…".
function apiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/api/')) calls.push(`${r.method()} ${path}`);
  });
  return calls;
}

async function expectNoSeriousAxeViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`), what).toEqual([]);
}

test.describe.serial('customers', () => {
  test('search finds a seeded customer and edits three fields', async ({ page, consoleErrors }) => {
    await signInAsAdmin(page);
    await openCustomer(page, 'Kowalski', 'Hannah Kowalski');
    const userId = (await page.locator('dd code').first().textContent())!.trim();
    await page.getByRole('link', { name: 'Edit profile' }).click();
    await expect(page.getByLabel('City')).toHaveValue('Chicago');
    await page.locator('html[data-hydrated="true"]').waitFor();

    const before = (await sandboxRequests()).length;
    await page.getByLabel('Company').fill('Lakeshore Revenue Group');
    await page.getByLabel('City').fill('Evanston');
    await page.getByLabel('Phone', { exact: true }).fill('8475550100');
    await expect(page.getByText('You have unsaved changes.')).toBeVisible();
    await page.getByRole('button', { name: 'Save changes' }).click();

    await expect(page.getByRole('heading', { level: 1, name: 'Hannah Kowalski', exact: true })).toBeVisible();
    await expect(page.getByText('Lakeshore Revenue Group').first()).toBeVisible();
    const history = page.locator('.history');
    await expect(history).toContainText('customer.update');
    await expect(history).toContainText('Chicago');
    await expect(history).toContainText('Evanston');

    const puts = (await sandboxRequests())
      .slice(before)
      .filter((r) => r.method === 'PUT' && r.path.endsWith('/users'));
    expect(puts).toHaveLength(1);
    expect(puts[0].query).toEqual([['userId', userId]]);
    expect(puts[0].body).toEqual({
      firstName: 'Hannah',
      lastName: 'Kowalski',
      company: 'Lakeshore Revenue Group',
      email: 'hannah.kowalski@lakeshorerevenue.com',
      phoneCc: '1',
      phone: '8475550100',
      addressLineOne: '233 S Wacker Drive',
      addressLineTwo: '',
      addressLineThree: '',
      city: 'Evanston',
      state: 'Illinois',
      postalCode: '60606',
      country: 'US',
      languagePreference: 'en',
    });
    expect(consoleErrors).toEqual([]);
  });

  test('the list sorts, pages and keeps both in the URL', async ({ page, consoleErrors }) => {
    await signInAsAdmin(page);
    await open(page, '/customers');
    await expect(page.getByText('40 customers')).toBeVisible();
    await page.getByLabel('Sort by').selectOption('company');
    await expect(page).toHaveURL(/sort=company/);
    await page.getByRole('link', { name: 'Next →' }).click();
    await expect(page).toHaveURL(/sort=company.*page=2|page=2.*sort=company/);
    await expect(page.getByText('Page 2 of 2')).toBeVisible();
    // The link reproduces the view.
    await open(page, page.url());
    await expect(page.getByText('Page 2 of 2')).toBeVisible();
    await expect(page.getByLabel('Sort by')).toHaveValue('company');
    expect(consoleErrors).toEqual([]);
  });

  test('two people editing different fields both keep their change', async ({ browser, page, consoleErrors }) => {
    await editMeanwhile(page, browser, 'marcus@brightlineoutreach.com', 'Marcus Reyes', 'Phone', '2125550999');

    // This form was opened before the other save and still shows the old phone.
    await page.getByLabel('City').fill('Brooklyn');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Marcus Reyes', exact: true })).toBeVisible();
    await expect(page.getByText('+1 2125550999')).toBeVisible();
    await expect(page.locator('address')).toContainText('Brooklyn');
  });

  test('a field both changed is shown as a conflict, not overwritten', async ({ browser, page, consoleErrors }) => {
    const calls = apiCalls(page);
    await editMeanwhile(page, browser, 'Nakamura', 'Emily Nakamura', 'City', 'Tacoma');
    // The form starts from the profile the server rendered it with: reading it again in the
    // browser would take the other save as this form's baseline, and hide the conflict.
    expect(calls.filter((c) => c.includes('customers/profile')), calls.join('\n')).toEqual([]);

    await page.getByLabel('City').fill('Bellevue');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByText('Someone else changed this to “Tacoma”')).toBeVisible();
    await page.getByRole('button', { name: 'Use theirs' }).click();
    await expect(page.getByLabel('City')).toHaveValue('Tacoma');
  });

  test('without JavaScript the edit form still saves and shows the result', async ({ browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto('/sign-in');
    await page.getByLabel('Email', { exact: true }).fill(admin.email);
    await page.getByLabel('Password').fill(admin.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();

    await page.goto('/customers?q=Fraser');
    await page.getByRole('link', { name: 'Ethan Fraser' }).click();
    await page.getByRole('link', { name: 'Edit profile' }).click();
    // The country list comes with the page, so the country can be changed without JavaScript.
    await expect(page.locator('#field-country option[value="CA"]')).toHaveText('Canada');
    await page.getByLabel('Address line 2').fill('Floor 9');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Ethan Fraser', exact: true })).toBeVisible();
    await expect(page.locator('address')).toContainText('Floor 9');
    await expect(page.locator('.history')).toContainText('Floor 9');
    await context.close();
  });

  test('a duplicate email shows at the email field and changes nothing', async ({ page, consoleErrors }) => {
    await signInAsAdmin(page);
    await openCustomer(page, 'Bennett', 'Olivia Bennett');
    await page.getByRole('link', { name: 'Edit profile' }).click();
    await page.locator('html[data-hydrated="true"]').waitFor();
    await page.getByLabel('Email', { exact: true }).fill('marcus@brightlineoutreach.com');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.locator('#field-email-error')).toHaveText(/already exists/i);
    await open(page, page.url().replace(/\/edit$/, ''));
    await expect(page.getByText('olivia.bennett@northwindgrowth.com').first()).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });

  test('creating a customer: a blank required field is refused, then the customer is created', async ({ page, consoleErrors }) => {
    await signInAsAdmin(page);
    await open(page, '/customers/new');
    await page.getByLabel('First name').fill('Nora');
    await page.getByLabel('Last name').fill('Quist');
    // Spaces pass the browser's `required` check; the server trims and refuses them.
    await page.getByLabel('Company').fill('   ');
    await page.getByLabel('Email', { exact: true }).fill('nora.quist@e2e-created.test');
    await page.getByLabel('Phone country code').fill('1');
    await page.getByLabel('Phone', { exact: true }).fill('6175550123');
    await page.getByLabel('Address line 1').fill('1 Main Street');
    await page.getByLabel('City').fill('Boston');
    await page.getByLabel('Postal code').fill('02110');
    await page.getByLabel('Country', { exact: true }).selectOption('US');
    // The state list loads for the chosen country; until it arrives the field is still the
    // free-text one the empty country had.
    await expect(page.locator('select#field-state')).toBeVisible();
    await page.getByLabel('State / province').selectOption('Massachusetts');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await expect(page.locator('#field-company-error')).toHaveText('Company is required.');

    await page.getByLabel('Company').fill('Quist Analytics');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Nora Quist' })).toBeVisible();
    await expect(page.locator('.history')).toContainText('customer.create');
    expect(consoleErrors).toEqual([]);
  });

  test('deleting a customer with domains explains what blocks it', async ({ page, consoleErrors }) => {
    await signInAsAdmin(page);
    await openCustomer(page, 'Bennett', 'Olivia Bennett');
    await page.getByText('Delete Olivia Bennett…').click();
    await page.getByLabel('Type olivia.bennett@northwindgrowth.com to confirm').fill('olivia.bennett@northwindgrowth.com');
    await page.getByRole('button', { name: 'Delete permanently' }).click();
    await expect(page.getByRole('alert').filter({ hasText: 'still has' })).toContainText(/still has \d+ domains? and \d+ mailbox/);
    await expect(page.getByRole('heading', { level: 1, name: 'Olivia Bennett' })).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });

  test('the delete button waits for the email typed exactly, and Escape closes the panel', async ({ page, consoleErrors }) => {
    await signInAsAdmin(page);
    await openCustomer(page, 'Bennett', 'Olivia Bennett');
    await page.getByText('Delete Olivia Bennett…').click();
    const field = page.getByLabel('Type olivia.bennett@northwindgrowth.com to confirm');
    await expect(field).toBeFocused();
    const button = page.getByRole('button', { name: 'Delete permanently' });
    await expect(button).toBeDisabled();
    await field.fill('Olivia.Bennett@northwindgrowth.com');
    await expect(button).toBeDisabled();
    await field.fill('olivia.bennett@northwindgrowth.com');
    await expect(button).toBeEnabled();
    await page.keyboard.press('Escape');
    await expect(field).toBeHidden();
    await expect(page.getByText('Delete Olivia Bennett…')).toBeFocused();
    expect(consoleErrors).toEqual([]);
  });

  test('sortable headers link to their sort and say which one is current', async ({ page, consoleErrors }) => {
    await signInAsAdmin(page);
    await open(page, '/customers');
    await expect(page.getByRole('columnheader', { name: 'Name', exact: true })).toHaveAttribute('aria-sort', 'ascending');
    await expect(page.getByRole('columnheader', { name: 'Company', exact: true })).toHaveAttribute('aria-sort', 'none');
    await page.getByRole('link', { name: 'Company', exact: true }).click();
    await expect(page).toHaveURL(/sort=company/);
    await expect(page.getByRole('columnheader', { name: 'Company', exact: true })).toHaveAttribute('aria-sort', 'ascending');
    await expect(page.getByRole('columnheader', { name: 'Name', exact: true })).toHaveAttribute('aria-sort', 'none');
    await expect(page.getByLabel('Sort by')).toHaveValue('company');
    expect(consoleErrors).toEqual([]);
  });

  test('a viewer sees no edit button and cannot call the update function', async ({ page, consoleErrors }) => {
    await signIn(page, viewer.email, viewer.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await openCustomer(page, 'Kowalski', 'Hannah Kowalski');
    await expect(page.getByRole('link', { name: 'Edit profile' })).toHaveCount(0);
    const userId = (await page.locator('dd code').first().textContent())!.trim();
    const res = await page.request.post('/api/customers/update', {
      form: { id: userId, 'seen[city]': 'Evanston', 'edited[city]': 'Hacked' },
    });
    expect(res.ok()).toBeFalsy();
    expect(await res.json()).toEqual('Forbidden');
    expect(consoleErrors).toEqual([]);
  });

  test('home, list, profile and edit pages have no serious accessibility violations', async ({ page }) => {
    await signInAsAdmin(page);
    await expectNoSeriousAxeViolations(page, 'home');
    await open(page, '/customers');
    await expectNoSeriousAxeViolations(page, 'list');
    await openCustomer(page, 'Kowalski', 'Hannah Kowalski');
    await expectNoSeriousAxeViolations(page, 'profile');
    await page.getByRole('link', { name: 'Edit profile' }).click();
    await expect(page.getByLabel('City')).toBeVisible();
    await expectNoSeriousAxeViolations(page, 'edit');
  });
});
