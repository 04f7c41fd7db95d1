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
