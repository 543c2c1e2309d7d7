// What the browser scripts share: Debian's Chromium launched without any
// request leaving the machine, a page whose console errors and requests to
// other origins are recorded, axe-core, screenshots, and the keyboard.

import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

// Launches Chromium and opens one page. `expected` takes HTTP statuses the
// script asks for on purpose: Chromium logs each 4xx answer as a failed
// resource, and each status pushed absorbs one such message; nothing else
// is forgiven.
export async function open() {
  const base = env('SCRUTINEER_URL');
  const origin = new URL(base).origin;
  const screenshots = process.env.SCREENSHOTS;
  if (screenshots) mkdirSync(screenshots, { recursive: true });
  const failures = [];
  const check = (condition, what) => {
    console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
    if (!condition) failures.push(what);
  };
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
      '--disable-features=AutofillServerCommunication,NetworkTimeServiceQuerying',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  const consoleErrors = [];
  const foreign = [];
  const expected = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    const at = expected.findIndex((status) => text.includes(`status of ${status}`));
    if (at >= 0) {
      expected.splice(at, 1);
      return;
    }
    consoleErrors.push(text);
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (url.origin !== origin) foreign.push(request.url());
  });

  const audit = async (name) => {
    await page.evaluate(axeSource);
    const result = await page.evaluate(async (tags) => {
      const byTag = await globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags } });
      const enhanced = await globalThis.axe.run(document, { runOnly: { type: 'rule', values: ['color-contrast-enhanced'] } });
      return [...byTag.violations, ...enhanced.violations].map(
        (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`,
      );
    }, WCAG);
    check(result.length === 0, `axe-core finds no violation on ${name}${result.length ? ': ' + result.join(' | ') : ''}`);
    // Page weight (issue 17: under 100 KB): the document and every
    // resource it loaded, decoded, as the Resource Timing entries give them.
    const bytes = await page.evaluate(() => [
      ...performance.getEntriesByType('navigation'),
      ...performance.getEntriesByType('resource'),
    ].reduce((sum, entry) => sum + (entry.decodedBodySize || 0), 0));
    weights.push([name, bytes]);
    check(bytes > 0 && bytes < 100 * 1024, `${name} weighs ${bytes} bytes, under 100 KB`);
  };
  // The weight of each page audited, printed at the end for
  // docs/performance.md.
  const weights = [];
  const shot = async (name) => {
    if (screenshots) await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  };
  const text = async (selector) => (await page.locator(selector).first().textContent()) || '';
  const api = async (method, path, token, body) => {
    const response = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: await response.json() };
  };
  // Tab until `selector` has the focus (bounded): the keyboard-only path.
  const tabTo = async (selector) => {
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return true;
    }
    return false;
  };
  // Whether the focused element shows a visible focus indicator.
  const focusVisible = () => page.evaluate(() => {
    const e = document.activeElement;
    const style = e && getComputedStyle(e);
    return Boolean(e && e.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2);
  });
  // After "Sign and cast": waits until the page has shown its whole
  // outcome (every question's receipt check and files) or a refusal.
  const voteSettled = () => page.waitForFunction(() => {
    const outcome = document.querySelector('#vote-outcome');
    return (!outcome.hasAttribute('aria-busy') && outcome.textContent.length > 0)
        || !document.querySelector('#vote-error').hidden;
  });
  // Saves the download links in `region` into `dir`; the names saved.
  const saveDownloads = async (region, dir) => {
    mkdirSync(dir, { recursive: true });
    const links = page.locator(`${region} a[download]`);
    const names = [];
    for (let i = 0; i < await links.count(); i++) {
      const [download] = await Promise.all([page.waitForEvent('download'), links.nth(i).click()]);
      const name = download.suggestedFilename();
      await download.saveAs(join(dir, name));
      names.push(name);
    }
    return names;
  };
  // Closes the browser, adds the console and origin checks, and exits.
  const finish = async () => {
    for (const [name, bytes] of weights) console.log(`weight: ${bytes} bytes, ${name}`);
    await browser.close();
    check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''}`);
    check(foreign.length === 0, `no request to another origin${foreign.length ? ': ' + foreign.join(' ') : ''}`);
    if (failures.length > 0) {
      console.log(`\n${failures.length} browser check(s) failed:\n- ${failures.join('\n- ')}`);
      process.exit(1);
    }
    console.log('\nevery browser check passed');
  };
  const stopped = (error) => {
    failures.push(`the script stopped: ${error.stack || error}`);
    console.log(`FAIL the script stopped: ${error.stack || error}`);
  };
  return { base, page, context, check, audit, shot, text, api, tabTo, focusVisible, voteSettled, saveDownloads, expected, finish, stopped };
}
