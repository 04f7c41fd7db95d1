import type { Page } from 'playwright-core';
import type { ServerProcess } from './server-process.js';

/**
 * Signs a console page in: opens `path` (the sign-in form shows first when signed out) and signs
 * in as the first owner (data/first-login.json), or as `as` when given; waits for the header.
 */
export async function signInConsole(page: Page, server: ServerProcess, path = '/console/', as?: { email: string; password: string }): Promise<void> {
  const login = as ?? server.firstLogin();
  await page.goto(`${server.url}${path}`);
  await page.getByTestId('email').fill(login.email);
  await page.getByTestId('password').fill(login.password);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('account-menu').waitFor({ timeout: 15_000 });
}

/**
 * Opens a sider submenu by hovering its group and clicks one of its entries. The popup submenu
 * opens on hover and may close again while it animates, so hover and click again until the click
 * lands (a missed click changes nothing).
 */
export async function pickMenu(page: Page, group: string, item: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await page.getByTestId(group).hover();
    const ok = await page
      .getByTestId(item)
      .click({ timeout: 3000 })
      .then(() => true)
      .catch(() => false);
    if (ok) {
      // Leave the menu, so its popup closes instead of covering the page's content (it intercepted a
      // click on a table row's expand button in a full run).
      const size = page.viewportSize();
      await page.mouse.move(size ? size.width - 2 : 1000, size ? size.height - 2 : 700);
      await page
        .getByTestId(item)
        .waitFor({ state: 'hidden', timeout: 5000 })
        .catch(() => {});
      return;
    }
    if (Date.now() > deadline) throw new Error(`the menu entry ${item} under ${group} could not be clicked within 30 s`);
    await page.mouse.move(0, 0);
  }
}
