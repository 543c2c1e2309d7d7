// The whole quickstart through the browser alone (issue 20), in Debian's
// Chromium. tests/browser.rs starts an empty server (only the server
// secretariat's first account, whose token it prints), and gives each
// person's key file made by `scrutineer keygen`:
//
//   SCRUTINEER_URL                           http://127.0.0.1:<port>
//   SECRETARIAT_TOKEN                        the server secretariat's token
//   ALICE_KEY, BOB_KEY, CAROL_KEY, ERIN_KEY  key files (PRIVATE+KEY+…)
//   ALICE_VKEY, BOB_VKEY, CAROL_VKEY, ERIN_VKEY  their verifier keys
//   DOWNLOADS                                where alice's receipt goes
//   TOKENS                                   where the tokens issued go (JSON)
//   SCREENSHOTS                              optional: PNGs of the officers' pages
//
// The secretariat creates group ETI, the accounts and their tokens, registers the
// organisations (cadzow, a founding Member; newco, a Participant), the
// persons, the kick-off meeting and its attendance by CSV, the chair and
// the reviewer; each person asks for their key to be registered and the
// secretariat approves it; the chair announces; the simulated clock moves
// (the test's own API call); alice votes; the clock moves past the close;
// the chair certifies the tally; bob, for the Participant, appeals the
// certified result; erin, the reviewer, upholds it. Signing is in the
// page every time; axe-core runs on every new page and state.

import { readFileSync, writeFileSync } from 'node:fs';
import { env, open } from './harness.mjs';

const { base, page, check, audit, shot, text, api, tabTo, focusVisible, voteSettled, saveDownloads, finish, stopped } = await open();
const secretariat = env('SECRETARIAT_TOKEN');
const tokens = {};

const signIn = async (token) => {
  await page.goto(base + '/sign-in');
  await page.fill('#token', token);
  await Promise.all([page.waitForURL(base + '/'), page.click('main button[type="submit"]')]);
};
const signOut = async () => {
  await Promise.all([page.waitForURL(/\/sign-in\?signed-out$/), page.click('.who button[type="submit"]')]);
};
// Submits the form whose action is `action`: a change is answered 303 to
// the page, which then says what was logged.
const submit = async (action) => {
  const answered = page.waitForResponse((r) => r.url() === base + action && r.request().method() === 'POST');
  await page.click(`form[action="${action}"] button[type="submit"]`);
  const status = (await answered).status();
  await page.waitForLoadState();
  return status;
};
const registry = (form) => `/groups/ETI/registry/${form}`;
const waitFor = async (ballot, state) => {
  for (let i = 0; i < 100; i++) {
    const r = await api('GET', `/v1/groups/ETI/ballots/${ballot}`, secretariat);
    if (r.body.state === state) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
};
// Signs the statement the page shows with `key`, with the keyboard.
const signStatement = async (key) => {
  await page.setInputFiles('#statement-key-file', key);
  await page.focus('#statement-key-file');
  check(await tabTo('#sign-statement'), 'the keyboard reaches the sign button');
  check(await focusVisible(), 'the sign button shows its focus');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#statement-outcome').textContent.length > 0
    || !document.querySelector('#statement-error').hidden);
  return `${await text('#statement-outcome')}${await text('#statement-error')}`;
};

try {
  // ------------------------------------------- the secretariat: accounts
  await signIn(secretariat);
  await page.goto(base + '/accounts');
  await page.fill('#group-id', 'ETI');
  await page.selectOption('#group-profile', 'etsi-isg');
  check(await submit('/accounts/group') === 303, 'group ETI is created');
  check((await text('#done')).includes('Group ETI created with its log'), `the page says so: ${await text('#done')}`);
  await audit('the accounts page after creating a group');
  for (const [id, name] of [['alice', 'Alice Example'], ['bob', 'Bob Example'], ['carol', 'Carol Example'], ['erin', 'Erin Example']]) {
    await page.fill('#create-id', id);
    await page.fill('#create-name', name);
    await page.fill('#create-email', `${id}@example.org`);
    check(await submit('/accounts/create') === 303, `the account of ${id} is created`);
    await page.fill('#token-id', id);
    await page.fill('#token-label', 'browser');
    check(await submit('/accounts/token') === 303, `a token is issued to ${id}`);
    tokens[id] = (await text('#new-token')).trim();
  }
  writeFileSync(env('TOKENS'), JSON.stringify(tokens));

  // ------------------------------------------------ the group's registry
  await page.goto(base + registry('members'));
  for (const [id, cls, founding] of [['cadzow', 'member', true], ['newco', 'participant', false]]) {
    await page.fill('#organisation-id', id);
    await page.selectOption('#organisation-class', cls);
    if (founding) await page.check('#organisation-founding');
    await page.fill('#organisation-from', '2026-01-01');
    check(await submit(registry('members/organisation')) === 303, `organisation ${id} is logged`);
  }
  for (const [id, org, list] of [['alice', 'cadzow', true], ['carol', 'cadzow', true], ['bob', 'newco', true], ['erin', 'cadzow', false]]) {
    await page.fill('#person-id', id);
    await page.fill('#person-organisation', org);
    if (list) await page.check('#person-membership_list');
    check(await submit(registry('members/person')) === 303, `person ${id} is logged`);
    check((await text('#logged')).includes(`Person ${id} registered`), `the page says so for ${id}`);
  }

  await page.goto(base + registry('meetings'));
  await page.fill('#meeting-id', 'kom');
  await page.check('#meeting-plenary');
  await page.selectOption('#meeting-format', 'face-to-face');
  await page.fill('#meeting-start', '2026-02-01T09:00:00Z');
  await page.fill('#meeting-end', '2026-02-01T17:00:00Z');
  await page.check('#meeting-kick_off');
  check(await submit(registry('meetings/meeting')) === 303, 'the kick-off meeting is logged');
  await page.fill('#import-csv', 'meeting,person,organisation,mode\nkom,alice,cadzow,physical\nkom,carol,cadzow,physical\nkom,bob,newco,remote\n');
  const before = (await api('GET', '/v1/groups/ETI', secretariat)).body.size;
  check(await submit(registry('meetings/import')) === 303, 'the attendance is imported by CSV');
  check((await text('#logged')).includes('3 attendance records imported'), 'the page says what was imported');
  await page.reload();
  check((await api('GET', '/v1/groups/ETI', secretariat)).body.size === before + 3, 'a reload after the import logs nothing new');

  await page.goto(base + registry('officers'));
  await page.fill('#chair-person', 'carol');
  check(await submit(registry('officers/chair')) === 303, 'carol is appointed chair');
  await page.fill('#reviewer-person', 'erin');
  check(await submit(registry('officers/reviewer')) === 303, 'erin is appointed reviewer');
  await signOut();

  // -------------------------- every person asks for their key; approved
  for (const id of ['alice', 'bob', 'carol', 'erin']) {
    await signIn(tokens[id]);
    await page.goto(base + '/keys');
    await page.selectOption('#request-group', 'ETI');
    await page.fill('#verifier-key', env(`${id.toUpperCase()}_VKEY`));
    await Promise.all([page.waitForURL(base + '/keys?requested'), page.click('#request-form button[type="submit"]')]);
    await signOut();
  }
  await signIn(secretariat);
  await page.goto(base + registry('keys'));
  for (let i = 0; i < 4; i++) {
    check(await submit(registry('keys/approve')) === 303, `a key request is approved (${i + 1} of 4)`);
  }
  for (const id of ['alice', 'bob', 'carol', 'erin']) {
    const keys = (await api('GET', `/v1/groups/ETI/persons/${id}/keys`, secretariat)).body;
    check(keys.length === 1, `the key of ${id} is registered`);
  }
  await signOut();

  // ------------------------------------------------ the chair announces
  await signIn(tokens.carol);
  await page.goto(base + '/groups/ETI/announce');
  await page.fill('#ballot', 'Q1');
  await page.fill('#title', 'Approval of GS ETI 001 V1.1.1');
  await page.fill('#questions', 'main Do you approve GS ETI 001 V1.1.1 for publication?');
  await page.fill('#opens', '2026-07-15');
  await page.fill('#closes', '2026-08-15');
  await Promise.all([page.waitForLoadState(), page.click('form[action="/groups/ETI/announce"] button[type="submit"]:not([name])')]);
  await page.setInputFiles('#announce-key-file', env('CAROL_KEY'));
  await page.click('#sign-announce');
  await page.waitForFunction(() => document.querySelector('#announce-outcome').textContent.length > 0
    || !document.querySelector('#announce-error').hidden);
  check((await text('#announce-outcome')).includes('Ballot Q1 is announced'), `the chair announces: ${await text('#announce-outcome')} ${await text('#announce-error')}`);
  await signOut();

  // ------------------------------- the clock moves; alice votes in Q1
  check((await api('POST', '/v1/clock', secretariat, { advance_seconds: 45 * 24 * 3600 })).status === 200, 'the clock moves 45 days');
  check(await waitFor('Q1', 'open'), 'Q1 opens');
  await signIn(tokens.alice);
  await page.goto(base + '/groups/ETI/ballots/Q1');
  await page.check('#q-main-yes');
  await page.setInputFiles('#vote-key-file', env('ALICE_KEY'));
  await page.click('#vote-form button[type="submit"]');
  await page.waitForSelector('#vote-review:not([hidden])');
  await page.click('#cast-vote');
  await voteSettled();
  check((await text('#vote-outcome')).includes('your vote "yes" is recorded'), 'alice votes yes, and the receipt is verified in the page');
  const saved = await saveDownloads('#vote-outcome', env('DOWNLOADS'));
  check(saved.includes('Q1-main-cadzow.tlog-proof'), `the page offers alice's receipt: ${saved.join(' ')}`);
  await signOut();
  check((await api('POST', '/v1/clock', secretariat, { advance_seconds: 32 * 24 * 3600 })).status === 200, 'the clock moves past the close');
  check(await waitFor('Q1', 'tallied'), 'Q1 closes and is tallied');

  // ------------------------------------------------- the chair certifies
  await signIn(tokens.carol);
  await page.goto(base + '/groups/ETI/ballots/Q1');
  check((await text('#certification-status')).includes('not certified this result yet'), 'the result waits for certification');
  await Promise.all([page.waitForURL(base + '/groups/ETI/ballots/Q1/certify'), page.click('a[href="/groups/ETI/ballots/Q1/certify"]')]);
  const note = await text('#statement-note');
  check(note.startsWith('scrutineer/certification/v1\n') && /\ncheckpoint \d+ \S+\n/.test(note) && note.includes('\nquestion main approved in-favour 1 '),
    `the exact certification note is shown: ${note}`);
  await audit('the certification page');
  await shot('chair-certify');
  const certified = await signStatement(env('CAROL_KEY'));
  check(certified.includes('The result is certified: your certification is logged as entry'), `the certification is logged: ${certified}`);
  await audit('the certification logged');
  await page.goto(base + '/groups/ETI/ballots/Q1');
  check((await text('#certification-status')).includes('The chair certified this result.'), 'the ballot page shows the result certified');
  check(await page.locator('a[href="/groups/ETI/ballots/Q1/certify"]').count() === 0, 'no certify link any more');
  await signOut();

  // ---------------------------------------- bob, a Participant, appeals
  await signIn(tokens.bob);
  await page.goto(base + '/groups/ETI/ballots/Q1');
  await Promise.all([page.waitForURL(base + '/groups/ETI/ballots/Q1/appeal'), page.click('a[href="/groups/ETI/ballots/Q1/appeal"]')]);
  check(await page.isChecked('#against-certification'), 'the certified result is the decision offered for appeal');
  await audit('the appeal form');
  await page.fill('#grounds', 'Our remote attendance at the kick-off meeting was not considered.\nSee the minutes.');
  await Promise.all([page.waitForLoadState(), page.click('form[action="/groups/ETI/ballots/Q1/appeal"] button[type="submit"]')]);
  const appealNote = await text('#statement-note');
  check(appealNote.includes('\nagainst certification\ngrounds Our remote attendance') && appealNote.endsWith('grounds See the minutes.\n'),
    `the exact appeal note is shown: ${appealNote}`);
  await audit('the appeal to sign');
  await shot('member-appeal');
  const appealed = await signStatement(env('BOB_KEY'));
  check(appealed.includes('Your appeal is logged as entry') && appealed.includes('notification to the chair'), `the appeal is logged: ${appealed}`);
  await audit('the appeal logged');
  const outbox = JSON.stringify((await api('GET', '/v1/groups/ETI/outbox', secretariat)).body);
  check(/"ballot":"Q1","person":"carol","reason":"appeal"/.test(outbox), `a notice of the appeal to the chair is in the outbox: ${outbox.slice(0, 400)}`);
  await signOut();

  // ------------------------------------------ erin, the reviewer, decides
  await signIn(tokens.erin);
  await page.goto(base + '/groups/ETI/ballots/Q1');
  await Promise.all([page.waitForURL(base + '/groups/ETI/ballots/Q1/appeals'), page.click('a[href="/groups/ETI/ballots/Q1/appeals"]')]);
  const appeals = await text('main');
  check(appeals.includes('Appeal by bob (newco) against the certification') && appeals.includes('See the minutes.'), 'the reviewer reads the appeal and its grounds');
  check(appeals.includes('certified by carol'), 'and the ballot, its tally and certification');
  await audit('the reviewer page');
  await page.check('input[name="outcome"][value="upheld"]');
  await page.fill('textarea[name="reasons"]', 'The roll follows the attendance rules: remote attendance does not count.');
  await Promise.all([page.waitForLoadState(), page.click('form[action^="/groups/ETI/ballots/Q1/appeals/"] button[type="submit"]')]);
  const decision = await text('#statement-note');
  check(decision.startsWith('scrutineer/appeal-decision/v1\n') && decision.includes('\noutcome upheld\nreasons The roll follows'), `the exact decision note is shown: ${decision}`);
  await audit('the decision to sign');
  await shot('reviewer-decide');
  const decided = await signStatement(env('ERIN_KEY'));
  check(decided.includes('Your decision is logged as entry'), `the decision is logged: ${decided}`);
  await page.goto(base + '/groups/ETI/ballots/Q1/appeals');
  check((await text('main')).includes('Decided by erin: upheld'), 'the decision is shown with the appeal');
  await audit('the reviewer page after the decision');
  await page.goto(base + '/groups/ETI/ballots/Q1');
  check(await page.locator('#annulled').count() === 0, 'an upheld certification leaves the result standing');
  await signOut();
} catch (error) {
  stopped(error);
}
await finish();
