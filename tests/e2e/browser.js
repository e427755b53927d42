// browser.js: Debian's Chromium, headless, driven by playwright-core, against a real server.
import { chromium } from 'playwright-core';
import { existsSync } from 'node:fs';

export async function launch() {
  const executablePath = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((p) => existsSync(p));
  return chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

// A page signed in as username; the language starts as the browser's first visit would.
// options go to newContext (e.g. timezoneId, to run the browser in another zone).
export async function signIn(browser, base, username, password, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  await page.goto(base + '/login');
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await Promise.all([page.waitForURL('**/tickets'), page.getByTestId('login-submit').click()]);
  return page;
}

// Picks the option with this text in the open Element Plus select.
export async function choose(page, testid, text) {
  const select = page.getByTestId(testid);
  const open = page.locator('.el-select-dropdown:visible');
  const shown = () => select.innerText().then((t) => t.includes(text));
  // on a busy machine a click can land while the list is still opening and choose nothing:
  // choose until the select shows the choice
  for (let attempt = 1; ; attempt++) {
    if (!(await open.count())) await select.click();
    await page.locator('.el-select-dropdown__item:visible', { hasText: text }).first().click();
    let ok = false;
    for (let i = 0; i < 20 && !(ok = await shown()); i++) await page.waitForTimeout(100);
    if (ok) break;
    if (attempt === 3) throw new Error(`${testid}: "${text}" was not chosen`);
  }
  // a single select's list closes after its transition; one that stays open (a multiple select)
  // would cover what the test clicks next, so a second click on the select closes it
  if (!(await open.first().waitFor({ state: 'hidden', timeout: 1500 }).then(() => true, () => false))) {
    await select.click();
    await open.first().waitFor({ state: 'hidden' });
  }
}
