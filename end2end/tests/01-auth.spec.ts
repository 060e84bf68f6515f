import { test, expect, admin, viewer, lockMe, open, signIn } from './helpers';

// One story, in order: the server starts with no account, the first admin is created through
// the printed setup URL, then sign-in, sign-out, errors and the lockout.
test.describe.serial('staff sign-in', () => {
  test('the first admin is created through the one-time setup URL', async ({ page, consoleErrors }) => {
    await open(page, process.env.SETUP_URL!);
    await page.getByLabel('Email', { exact: true }).fill(admin.email);
    await page.getByLabel('Your name').fill(admin.name);
    await page.getByLabel('Password (at least 12 characters)').fill(admin.password);
    await page.getByLabel('Repeat the password').fill(admin.password);
    await page.getByRole('button', { name: 'Create admin and sign in' }).click();

    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    await expect(page.locator('.who-name')).toHaveText(admin.name);
    await expect(page.locator('.who .badge')).toHaveText('admin');
    await expect(page.getByText('Demo data — not connected to CMR')).toBeVisible();
    expect(consoleErrors).toEqual([]);
  });

  test('the setup URL does not work a second time', async ({ page, consoleErrors }) => {
    await open(page, process.env.SETUP_URL!);
    await page.getByLabel('Email', { exact: true }).fill('second@e2e.test');
    await page.getByLabel('Your name').fill('Second');
    await page.getByLabel('Password (at least 12 characters)').fill(admin.password);
    await page.getByLabel('Repeat the password').fill(admin.password);
    await page.getByRole('button', { name: 'Create admin and sign in' }).click();
    await expect(page.getByRole('alert')).toContainText('not valid');
    expect(consoleErrors).toEqual([]);
  });

  test('signing in shows the shell and signing out ends the session', async ({ page, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    await expect(page.locator('.wallet-amount')).toContainText('USD');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/sign-in/);
    await page.goto('/customers');
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fcustomers/);
    expect(consoleErrors).toEqual([]);
  });

  test('an admin adds staff accounts on the Staff page', async ({ page, consoleErrors }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page.getByRole('heading', { name: 'Home' })).toBeVisible();
    for (const account of [viewer, lockMe]) {
      await open(page, '/staff');
      await page.getByLabel('Email', { exact: true }).fill(account.email);
      await page.getByLabel('Name', { exact: true }).fill(account.name);
      await page.getByLabel('Role').selectOption(account.role);
      await page.getByLabel('Initial password (at least 12 characters)').fill(account.password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect(page.getByRole('cell', { name: account.email })).toBeVisible();
    }
    expect(consoleErrors).toEqual([]);
  });

  test('a wrong password shows one clear error', async ({ page, consoleErrors }) => {
    await signIn(page, lockMe.email, 'not the password at all');
    await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
    await expect(page).toHaveURL(/\/sign-in/);
    expect(consoleErrors).toEqual([]);
  });

  test('after ten failures even the right password is refused', async ({ page, consoleErrors }) => {
    // One failure happened in the previous test.
    for (let attempt = 2; attempt <= 10; attempt++) {
      await signIn(page, lockMe.email, `wrong password number ${attempt}`);
      await expect(page.getByRole('alert')).toHaveText('The email or password is incorrect.');
    }
    await signIn(page, lockMe.email, lockMe.password);
    await expect(page.getByRole('alert')).toContainText('Too many failed sign-ins');
    await expect(page).toHaveURL(/\/sign-in/);
    expect(consoleErrors).toEqual([]);
  });
});
