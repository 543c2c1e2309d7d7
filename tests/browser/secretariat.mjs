// The secretariat's pages in Debian's Chromium (tests/browser.rs starts the
// server with group ETI: organisation cadzow, alice and carol with keys,
// carol chair, bob registered without a key):
//
//   SCRUTINEER_URL      http://127.0.0.1:<port>
//   SECRETARIAT_TOKEN   the server secretariat's token
//   BOB_TOKEN           bob's token (he makes a key in the browser)
//   SCREENSHOTS         optional: a directory for a PNG of each page
//
// The secretariat creates an account and a token on the accounts page;
// registers an organisation and a person; registers a meeting and imports
// its attendance, first from an export with bad rows (each shown by line
// and field, nothing logged), then corrected; appoints a reviewer; and
// approves the key bob made in his browser, after comparing the
// fingerprint bob's page shows, then revokes it. Every change answers with
// its entry index and checkpoint; axe-core runs on every page and state.

import { env, open } from './harness.mjs';

const { base, page, check, audit, shot, text, api, tabTo, focusVisible, expected, finish, stopped } = await open();

const signIn = async (token) => {
  await page.goto(base + '/sign-in');
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(base + '/'), page.click('main button[type="submit"]')]);
};
const signOut = async () => {
  await Promise.all([page.waitForURL(/\/sign-in\?signed-out$/), page.click('.who button[type="submit"]')]);
};
// Submits the form whose action is `action`, expecting `status`: a change
// done is answered 303 to the page (Post/Redirect/Get), a refusal 4xx.
const submit = async (action, status = 303) => {
  if (status >= 400) expected.push(status);
  const answered = page.waitForResponse((r) => r.url() === base + action && r.request().method() === 'POST');
  await page.click(`form[action="${action}"] button[type="submit"]`);
  const response = await answered;
  await page.waitForLoadState();
  return response.status();
};
const logged = () => text('#logged');

try {
  const secretariat = env('SECRETARIAT_TOKEN');
  const size = async () => (await api('GET', '/v1/groups/ETI', secretariat)).body.size;

  // ----------------------------------------------- bob makes a key
  await signIn(env('BOB_TOKEN'));
  await page.goto(base + '/keys');
  await page.click('#generate-key');
  await page.waitForFunction(() => document.querySelector('#verifier-key').value.startsWith('bob+'));
  const status = await text('#generate-status');
  const bobPrint = (status.match(/fingerprint ([0-9a-f ]+)\)/) || [])[1];
  check(Boolean(bobPrint), `bob's page shows the new key's fingerprint: ${status}`);
  await page.selectOption('#request-group', 'ETI');
  await Promise.all([page.waitForURL(base + '/keys?requested'), page.click('#request-form button[type="submit"]')]);
  await signOut();

  // ---------------------------------------- the secretariat signs in
  await signIn(secretariat);
  check(await page.locator('a[href="/groups/ETI/registry"]').count() === 1, 'the home page links the secretariat to the registry');
  await page.click('a[href="/groups/ETI/registry"]');
  await page.waitForURL(base + '/groups/ETI/registry');
  check((await text('h1')).includes('Registry of group ETI'), 'the registry page opens');
  check((await text('main')).includes('etsi-isg'), "the group's profile is shown");
  await audit('the registry: organisations and persons');

  // --------------------------------------------- accounts and tokens
  await page.goto(base + '/accounts');
  await audit('the accounts page');
  await page.fill('#create-id', 'erin');
  await page.fill('#create-name', 'Erin Example');
  await page.fill('#create-email', 'erin@example.org');
  check(await submit('/accounts/create') === 303, 'an account is created');
  check((await text('#done')).includes('Account erin created'), 'the page says the account was created');
  check((await text('main table')).includes('erin@example.org'), 'the account is listed with its e-mail address');
  await page.fill('#token-id', 'erin');
  await page.fill('#token-label', 'laptop');
  check(await submit('/accounts/token') === 303, 'a token is issued');
  const erinToken = (await text('#new-token')).trim();
  check(/^scr_/.test(erinToken), 'the new token is shown once, in the page');
  check(!page.url().includes('scr_'), 'the token is not in the URL');
  await audit('the accounts page with a new token');
  await page.reload();
  check(await page.locator('#new-token').count() === 0, 'a reload shows the token no more, and issues none');
  await page.fill('#token-id', 'nobody-here');
  await page.fill('#token-label', 'x');
  check(await submit('/accounts/token', 404) === 404, 'a token for an unknown person is refused');
  check((await text('[role="alert"]')).includes('no person'), "the refusal gives the server's reason");
  await audit('the accounts page with a refusal');
  await shot('secretariat-accounts');

  // A group created with parameters other than its profile's defaults:
  // a notice that is not a number is refused beside its field, then the
  // group is created and its registry page shows what its first entry
  // fixed, and that they cannot be changed.
  await page.fill('#group-id', 'ETI2');
  await page.fill('#group-threshold_percent', '75');
  await page.fill('#group-notice', 'forty');
  check(await submit('/accounts/group', 422) === 422, 'a notice that is not a number is refused');
  check((await text('#group-notice-error')).includes('whole number'), 'the refusal is said beside the field');
  check((await page.inputValue('#group-threshold_percent')) === '75', "the form's values are kept");
  await audit('the group form refused');
  await page.fill('#group-notice', '40');
  await page.fill('#group-appeal_deadline_days', '14');
  check(await submit('/accounts/group') === 303, 'group ETI2 is created with its parameters');
  check((await text('#done')).includes('Group ETI2 created'), 'the page says the group was created');
  await page.goto(base + '/groups/ETI2/registry');
  const facts = await text('section[aria-labelledby="profile"]');
  check(facts.includes('75 % of the votes cast') && facts.includes('40 days') && facts.includes('14 days after certification')
    && facts.includes('cannot be changed'), `the registry page shows the parameters fixed at creation: ${facts}`);
  await audit("the registry of a group with its own parameters");

  // ----------------------------------- an organisation and a person
  const before = await size();
  await page.goto(base + '/groups/ETI/registry/members');
  await page.fill('#organisation-id', 'newco');
  await page.selectOption('#organisation-class', 'participant');
  await page.fill('#organisation-from', '2026-01-01');
  check(await submit('/groups/ETI/registry/members/organisation') === 303, 'an organisation is logged');
  const orgLogged = await logged();
  check(orgLogged.includes('Organisation newco registered') && orgLogged.includes(`Logged as entry ${before} of the log of group ETI`),
    `the answer says what was logged and where: ${orgLogged}`);
  check(orgLogged.includes(`The log now holds ${before + 1} entries`) && orgLogged.includes('checkpoint'), 'the answer names the checkpoint that covers it');
  check((await text('main')).includes('type organisation'), 'the entry is shown as logged');
  await page.fill('#person-id', 'erin');
  await page.fill('#person-organisation', 'no such org');
  check(await submit('/groups/ETI/registry/members/person', 422) === 422, 'a malformed id is refused');
  check((await text('#person-organisation-error')).includes('an id is'), 'the error is next to its field');
  check((await page.getAttribute('#person-organisation', 'aria-invalid')) === 'true', 'the field is marked invalid');
  check((await page.inputValue('#person-id')) === 'erin', 'the other values are kept');
  await audit('the registry with a field error');
  await page.fill('#person-organisation', 'newco');
  await page.check('#person-membership_list');
  check(await submit('/groups/ETI/registry/members/person') === 303, 'a person is logged');
  check((await logged()).includes('Person erin registered'), 'the answer names the person');
  const persons = await text('main section:has(#persons) table');
  check(persons.includes('Erin Example') && persons.includes('erin@example.org'), 'the secretariat sees the name and e-mail address');
  const entry = await page.locator('#logged pre').nth(1).textContent();
  check(!entry.includes('Erin Example') && !entry.includes('erin@example.org'), 'neither the name nor the e-mail address is in the entry');
  await audit('the registry after a change');
  await shot('secretariat-members');

  // -------------------------------------- a meeting and its attendance
  await page.click('a[href="/groups/ETI/registry/meetings"]');
  await page.waitForURL(base + '/groups/ETI/registry/meetings');
  await page.fill('#meeting-id', 'plenary-2');
  await page.check('#meeting-plenary');
  await page.selectOption('#meeting-format', 'hybrid');
  await page.fill('#meeting-start', '2026-03-10T09:00:00Z');
  await page.fill('#meeting-end', '2026-03-10T17:00:00Z');
  check(await submit('/groups/ETI/registry/meetings/meeting') === 303, 'a meeting is logged');
  check((await logged()).includes('Meeting plenary-2 registered'), 'the answer names the meeting');
  await audit('the registry: meetings and attendance');

  // The export with two bad rows, imported with the keyboard only.
  const sizeBefore = await size();
  const bad = [
    'meeting,person,organisation,mode,name',
    'plenary-2,alice,cadzow,physical,Alice A',
    'plenary-2,nobody,cadzow,remote,No Body',
    'plenary-2,carol,cadzow,virtual,Carol C',
  ].join('\n');
  check(!(await page.locator('#import-file-field').isHidden()), 'with JavaScript, a file can be picked');
  await page.focus('#meeting-end');
  check(await tabTo('#import-csv'), 'the keyboard reaches the export text box');
  check(await focusVisible(), 'the focused text box shows its focus');
  await page.keyboard.insertText(bad);
  check(await tabTo('#csv-import-form button[type="submit"]'), 'the keyboard reaches the import button');
  expected.push(422);
  const refused = page.waitForResponse((r) => r.url().endsWith('/registry/meetings/import'));
  await page.keyboard.press('Enter');
  check((await refused).status() === 422, 'an export with bad rows is refused (422)');
  await page.waitForLoadState();
  const problems = await text('#import-errors');
  check(problems.includes('Nothing was imported') && problems.includes('2 problems'), `every bad row is reported: ${problems}`);
  const rows = await page.locator('#import-errors tbody tr').allTextContents();
  check(rows.some((r) => r.includes('3') && r.includes('person')) && rows.some((r) => r.includes('4') && r.includes('mode')),
    `each bad row by line and field: ${rows.join(' | ')}`);
  check(await size() === sizeBefore, 'nothing was logged');
  check((await page.inputValue('#import-csv')) === bad, 'the text is given back to be corrected');
  await audit('the attendance import with bad rows');
  await shot('secretariat-import-errors');
  await page.fill('#import-csv', bad.replace('nobody', 'bob').replace('virtual', 'remote'));
  check(await submit('/groups/ETI/registry/meetings/import') === 303, 'the corrected export is imported');
  const imported = await logged();
  check(imported.includes('3 attendance records imported') && imported.includes(`entry ${sizeBefore} to ${sizeBefore + 2}`), `the import is logged row by row: ${imported}`);
  check(await size() === sizeBefore + 3, 'three entries were logged');
  check(page.url() === base + '/groups/ETI/registry/meetings', 'the import redirected to the page (Post/Redirect/Get)');
  await page.reload();
  check(await size() === sizeBefore + 3, 'reloading the page after the import logs nothing new');
  check(await page.locator('#logged').count() === 0, 'and does not repeat the message');
  check((await text('main section:has(#attendance) table')).includes('bob'), 'the attendance is listed');
  await audit('the registry after an import');
  await shot('secretariat-meetings');

  // --------------------------------------------- chair and reviewers
  await page.goto(base + '/groups/ETI/registry/officers');
  check((await text('main')).includes('Chairing now: carol'), 'the chair is shown');
  await page.fill('#reviewer-person', 'erin');
  check(await submit('/groups/ETI/registry/officers/reviewer') === 303, 'a reviewer is appointed');
  check((await logged()).includes('erin appointed appeal reviewer'), 'the answer names the reviewer');
  await audit('the registry: chair and reviewers');
  await shot('secretariat-officers');

  // ------------------------------------ bob's key request, approved
  await page.goto(base + '/groups/ETI/registry/keys');
  const request = page.locator('tr', { has: page.locator('th', { hasText: 'bob' }) }).first();
  const shown = (await request.locator('.fingerprint').textContent()).trim();
  check(shown === bobPrint, `the fingerprint shown to the secretariat is the one bob's page shows (${shown} / ${bobPrint})`);
  await audit('the registry: keys');
  await shot('secretariat-keys');
  const approve = request.locator('button[type="submit"]');
  await Promise.all([page.waitForLoadState(), approve.click()]);
  await page.waitForSelector('#logged');
  const approved = await logged();
  check(approved.includes('approved: the key is registered'), `approving registers the key: ${approved}`);
  check((await page.locator('#logged pre').nth(1).textContent()).includes('type key'), 'a key entry was logged');
  const keys = (await api('GET', '/v1/groups/ETI/persons/bob/keys', secretariat)).body;
  check(keys.length === 1 && keys[0].revoked === null, "bob's key is registered");
  const revoke = page.locator(`form[action="/groups/ETI/registry/keys/revoke"]:has(input[value="${keys[0].id}"]) button`);
  await Promise.all([page.waitForLoadState(), revoke.click()]);
  await page.waitForSelector('#logged');
  check((await logged()).includes(`Key ${keys[0].id} bob revoked`), 'a key is revoked');
  const after = (await api('GET', '/v1/groups/ETI/persons/bob/keys', secretariat)).body;
  check(after[0].revoked !== null, 'the revocation is in the registry');
  await signOut();

  // -------------------------------- erin signs in with her new token
  await signIn(erinToken);
  check((await text('.who')).includes('erin'), 'the token issued in the page signs erin in');
  await signOut();
  await signIn(secretariat);
  await page.goto(base + '/accounts');
  await page.fill('#revoke-id', 'erin');
  check(await submit('/accounts/revoke') === 303, "erin's tokens are revoked");
  check((await text('#done')).includes('1 token(s) of erin revoked'), 'the page says how many');

  // ----------------------------------------------------- what if
  const unchanged = await size();
  await page.goto(base + '/groups/ETI/registry');
  await page.click('a[href="/groups/ETI/what-if"]');
  await page.waitForURL(base + '/groups/ETI/what-if');
  check((await text('#earliest')).includes('2026-07-01T00:00:00Z'), `a ballot announced now opens 30 days later at the earliest: ${await text('#earliest')}`);
  await audit('the what-if page');
  await page.fill('#at', 'next tuesday');
  expected.push(422);
  await Promise.all([page.waitForLoadState(), page.click('main form button[type="submit"]')]);
  check((await text('#at-error')).includes('write a UTC time'), 'an unreadable instant is refused beside its field');
  await audit('the what-if page with an error');
  await page.fill('#at', '2026-07-15');
  await page.focus('#at');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#what-if-roll');
  const roll = await text('#what-if-roll');
  check(roll.includes('1 of 2 organisations could vote'), `the roll counts the eligible organisations: ${roll}`);
  const lines = await page.locator('#what-if-roll tbody tr').allTextContents();
  check(lines.some((l) => l.includes('cadzow') && l.includes('founding member and the Kick-off Period was running')), 'each line says why (a founding member in the Kick-off Period)');
  check(lines.some((l) => l.includes('newco') && l.includes('belongs to a class that does not vote')), 'each line says why (a participant)');
  check(roll.includes('announce by 2026-06-15T00:00:00Z'), 'the page says when to announce to open then');
  check(await size() === unchanged, 'the what-if wrote nothing');
  await audit('the what-if page with a roll');
  await shot('secretariat-what-if');

  // A delegate is not the secretariat.
  await signOut();
  await signIn(env('BOB_TOKEN'));
  expected.push(403);
  const forbidden = await page.goto(base + '/groups/ETI/registry');
  check(forbidden.status() === 403, 'a delegate may not open the registry pages');
} catch (error) {
  stopped(error);
}
await finish();
