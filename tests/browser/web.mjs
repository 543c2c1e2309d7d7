// The web application in Debian's Chromium, driven by playwright-core and
// checked with axe-core. Started by tests/browser.rs, which runs the real
// server and passes the fixtures in environment variables:
//
//   SCRUTINEER_URL          http://127.0.0.1:<port>
//   SECRETARIAT_TOKEN       the server secretariat's token (API calls)
//   ALICE_TOKEN, BOB_TOKEN  delegates of group ETI (alice has a key, bob none)
//   ALICE_KEY               alice's key file, made by `scrutineer keygen`
//   OTHER_KEY               a key file of alice's that is not registered
//   RECEIPT, VOTE           alice's receipt and vote from `scrutineer vote`
//   WORK                    a directory for tampered files
//   SCREENSHOTS             optional: a directory for a PNG of each page
//
// Exits non-zero with a list of what failed.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { env, open } from './harness.mjs';

const { base, page, context, check, audit, shot, text, api, tabTo, expected, finish, stopped } = await open();

try {
  // ------------------------------------------------ signed out: home
  let response = await page.goto(base + '/');
  check(response.status() === 200, 'GET / is a page, not a JSON 404');
  const headers = response.headers();
  check((headers['content-security-policy'] || '').includes("script-src 'self'"), 'the CSP allows scripts of this origin only');
  check((headers['content-security-policy'] || '').includes("frame-ancestors 'none'"), 'the CSP forbids framing');
  check(headers['referrer-policy'] === 'no-referrer', 'Referrer-Policy: no-referrer');
  check(headers['x-content-type-options'] === 'nosniff', 'X-Content-Type-Options: nosniff');
  check((await text('h1')).includes('Scrutineer'), 'the signed-out home says what Scrutineer is');
  await shot('home-signed-out');
  await audit('the signed-out home page');

  // ------------------------------------- keyboard only: sign in
  check(await tabTo('a.skip'), 'the first Tab reaches the skip link');
  check(await tabTo('a.button[href="/sign-in"]'), 'the keyboard reaches the sign-in link');
  await Promise.all([page.waitForURL(base + '/sign-in'), page.keyboard.press('Enter')]);
  await audit('the sign-in page');
  await shot('sign-in');
  check(await tabTo('#token'), 'the keyboard reaches the token field');
  await page.keyboard.type('scr_this-is-not-a-valid-token-at-all-0000000000');
  expected.push(401);
  const refused = page.waitForResponse((r) => r.url() === base + '/sign-in' && r.request().method() === 'POST');
  await page.keyboard.press('Enter');
  check((await refused).status() === 401, 'a wrong token is refused (401)');
  await page.waitForLoadState();
  check((await text('#token-error')).includes('unknown or was revoked'), 'the error is in text next to the field');
  check((await page.getAttribute('#token', 'aria-invalid')) === 'true', 'the field is marked invalid');
  await audit('the sign-in page with an error');
  await shot('sign-in-error');
  await page.focus('body');
  check(await tabTo('#token'), 'the keyboard reaches the token field again');
  await page.keyboard.type(env('ALICE_TOKEN'));
  await Promise.all([page.waitForURL(base + '/'), page.keyboard.press('Enter')]);
  check((await text('h1')).includes('Your groups'), 'the token signs alice in, with the keyboard only');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'scrutineer_session');
  check(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/', 'the session cookie is HttpOnly, SameSite=Strict, Path=/');
  check(!page.url().includes('scr_'), 'no token in the URL');
  check(await page.evaluate(() => localStorage.length === 0), 'nothing in localStorage');

  // ------------------------------------------- signed in: home, ballot
  check((await text('.who')).includes('alice'), 'the header names the signed-in person');
  check((await page.locator('#ETI-open + div table').textContent()).includes('B1'), 'B1 is listed as open');
  check((await page.locator('#ETI-upcoming + div table').textContent()).includes('B2'), 'B2 is listed as upcoming');
  await audit('the home page');
  await shot('home');
  await Promise.all([page.waitForURL(base + '/groups/ETI/ballots/B1'), page.click('a[href="/groups/ETI/ballots/B1"]')]);
  const ballot = await page.locator('main').textContent();
  check(ballot.includes('May vote:') && ballot.includes('cadzow'), "the ballot page shows the organisation's roll line");
  check(ballot.includes('1 vote entries'), 'the ballot page shows the turnout');
  check(ballot.includes('Kick-off Period'), 'the roll line says why');
  await audit('the ballot page');
  await shot('ballot');

  // ------------------------------------------ keys: import a keygen key
  await page.goto(base + '/keys');
  await audit('the keys page');
  await page.setInputFiles('#key-file', env('ALICE_KEY'));
  await page.check('#remember');
  await page.click('#import-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#import-status').textContent.length > 0);
  check((await text('#import-status')).includes('it is one of your registered keys'), "alice's keygen key is imported and matches a registered key id");
  check((await text('#device-keys')).includes('registered'), 'the key is remembered on this device');
  const stored = await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('scrutineer');
    open.onsuccess = () => {
      const all = open.result.transaction('keys').objectStore('keys').getAll();
      all.onsuccess = () => resolve(all.result.map((k) => ({ extractable: k.privateKey.extractable, type: k.privateKey.algorithm.name })));
      all.onerror = () => reject(all.error);
    };
    open.onerror = () => reject(open.error);
  }));
  check(stored.length === 1 && stored[0].extractable === false && stored[0].type === 'Ed25519', 'the remembered key is a non-extractable Ed25519 CryptoKey');
  await page.setInputFiles('#key-file', env('OTHER_KEY'));
  await page.uncheck('#remember');
  await page.click('#import-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#import-status').textContent.includes('not among'));
  check(true, 'a key that is not registered is recognised as such');
  await audit('the keys page after an import');
  await shot('keys');

  // ------------------------------------------------------ sign out
  await Promise.all([page.waitForURL(/\/sign-in\?signed-out$/), page.click('.who button[type="submit"]')]);
  check((await text('[role="status"]')).includes('signed out'), 'sign-out ends the session');
  await page.goto(base + '/keys');
  check(page.url() === base + '/sign-in', 'after sign-out the keys page asks to sign in');

  // ------------------------- bob: a key made in the browser, requested
  await page.fill('#token', env('BOB_TOKEN'));
  await Promise.all([page.waitForURL(base + '/'), page.click('main button[type="submit"]')]);
  await page.goto(base + '/keys');
  await page.click('#generate-key');
  await page.waitForFunction(() => document.querySelector('#verifier-key').value.startsWith('bob+'));
  const verifier = await page.inputValue('#verifier-key');
  check(/^bob\+[0-9a-f]{8}\+/.test(verifier), 'a key made in the browser fills the request form');
  await page.selectOption('#request-group', 'ETI');
  await Promise.all([page.waitForURL(base + '/keys?requested'), page.click('#request-form button[type="submit"]')]);
  check((await text('main [role="status"]')).includes('key request was sent'), 'the key request is sent');
  const requests = await api('GET', '/v1/groups/ETI/key-requests', env('SECRETARIAT_TOKEN'));
  const mine = requests.body.find((r) => r.person === 'bob' && r.key === verifier);
  check(requests.status === 200 && mine && mine.approved === null, 'the secretariat lists the pending request');
  const approved = await api('POST', `/v1/groups/ETI/key-requests/${mine.id}/approve`, env('SECRETARIAT_TOKEN'));
  check(approved.status === 201 && approved.body.entry.includes('type key'), 'approving it appends a key entry');
  const again = await api('POST', `/v1/groups/ETI/key-requests/${mine.id}/approve`, env('SECRETARIAT_TOKEN'));
  check(again.status === 409, 'a request is approved once');
  await page.reload();
  const keyId = verifier.split('+')[1];
  check(await page.locator(`[data-key-id="${keyId}"]`).count() === 1, "bob's key is listed as registered");
  check((await text('#device-keys')).includes(`Key id ${keyId}, registered`), 'the key on this device is now registered');
  await audit('the keys page after a request');

  // A form with a bad key: the error is next to the field, 422.
  await page.fill('#verifier-key', 'not a key');
  expected.push(422);
  const bad = page.waitForResponse((r) => r.url() === base + '/keys/requests');
  await page.click('#request-form button[type="submit"]');
  check((await bad).status() === 422, 'a malformed key is refused with 422');
  await page.waitForLoadState();
  check((await text('#verifier-key-error')).includes('not a verifier key'), 'the key error is next to its field');
  await audit('the keys page with an error');

  // ------------------------------------------------ the receipt check
  await page.goto(base + '/check');
  await audit('the check page');
  await page.setInputFiles('#receipt-file', env('RECEIPT'));
  await page.setInputFiles('#vote-file', env('VOTE'));
  await page.click('#check-form button[type="submit"]');
  await page.waitForFunction(() => /check out|is valid/.test(document.querySelector('#check-result').textContent));
  const valid = await text('#check-result');
  check(valid.includes('The receipt is valid.'), `a real receipt is accepted: ${valid}`);
  check(valid.includes('pinned on this device now'), 'the log key is pinned on first use, with its fingerprint');
  check(valid.includes('commits to exactly the bytes of the vote file'), 'the entry commits to the vote file');
  check(valid.includes('the log only grew'), "the receipt's checkpoint is consistent with the current one");
  check(valid.includes('scrutineer verify B1.tar'), 'the page gives the verify command');
  const resultLink = await page.locator('#check-result a', { hasText: "the ballot's page" }).getAttribute('href');
  check(/^\/groups\/[^/]+\/ballots\/B1$/.test(resultLink || ''), `the page links the ballot's page for its result and certification: ${resultLink}`);
  await audit('the check page with a result');
  await shot('check');

  const work = env('WORK');
  const receipt = readFileSync(env('RECEIPT'), 'utf8');
  const lines = receipt.split('\n');
  const entry = Buffer.from(lines[1].slice('extra '.length), 'base64');
  entry[entry.length - 3] ^= 1;
  lines[1] = 'extra ' + entry.toString('base64');
  const tampered = join(work, 'tampered.tlog-proof');
  writeFileSync(tampered, lines.join('\n'));
  await page.reload();
  await page.setInputFiles('#receipt-file', tampered);
  await page.click('#check-form button[type="submit"]');
  await page.waitForFunction(() => /check out|is valid/.test(document.querySelector('#check-result').textContent));
  const rejected = await text('#check-result');
  check(rejected.includes('does NOT check out') && rejected.includes('NOT in the log'), `a tampered receipt is rejected: ${rejected}`);
  check(rejected.includes('is the one pinned on this device'), 'the second check uses the pinned key');

  const otherVote = join(work, 'other.vote');
  writeFileSync(otherVote, readFileSync(env('VOTE'), 'utf8').replace('choice yes', 'choice no'));
  await page.reload();
  await page.setInputFiles('#receipt-file', env('RECEIPT'));
  await page.setInputFiles('#vote-file', otherVote);
  await page.click('#check-form button[type="submit"]');
  await page.waitForFunction(() => /check out|is valid/.test(document.querySelector('#check-result').textContent));
  check((await text('#check-result')).includes('does not commit to this vote file'), 'a different vote file is rejected');

  // A log key that differs from the pinned one is a loud error.
  await page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('scrutineer');
    open.onsuccess = () => {
      const store = open.result.transaction('logKeys', 'readwrite').objectStore('logKeys');
      const all = store.getAll();
      all.onsuccess = () => {
        const record = all.result[0];
        record.verifier = record.verifier.replace(/\+[0-9a-f]{8}\+/, '+00000000+');
        store.put(record).onsuccess = () => resolve();
      };
      all.onerror = () => reject(all.error);
    };
    open.onerror = () => reject(open.error);
  }));
  await page.reload();
  await page.setInputFiles('#receipt-file', env('RECEIPT'));
  await page.click('#check-form button[type="submit"]');
  await page.waitForFunction(() => /check out|is valid/.test(document.querySelector('#check-result').textContent));
  check((await text('#check-result')).includes('THE LOG KEY CHANGED'), 'a log key other than the pinned one is a loud error');
} catch (error) {
  stopped(error);
}
await finish();
