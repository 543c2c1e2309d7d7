// The delegate's vote in Debian's Chromium (SPEC section 8, issue 17):
// with the keyboard only, alice imports her key, answers ballot B3's two
// questions (a warning for the one left unanswered, a change link), reads
// the exact notes, signs and casts them, and the page verifies both
// receipts and offers the `.vote` and `.tlog-proof` files, saved for
// tests/browser.rs to give to `scrutineer receipt verify`. She then
// changes one answer (the earlier vote is superseded); dave, whose
// organisation is not eligible, is refused in words; a vote signed before
// the close and sent after it is refused; after the tally the page shows
// the result and which of alice's votes counted. axe-core on every state,
// no console error, no request to another origin.
//
//   SCRUTINEER_URL, SECRETARIAT_TOKEN   as for web.mjs
//   ALICE_TOKEN, ALICE_KEY              alice (cadzow, eligible) and her key file
//   DAVE_TOKEN, DAVE_KEY                dave (newco, not eligible) and his key file
//   DOWNLOADS                           where the downloaded files go
//   SCREENSHOTS                         optional: a directory for PNGs

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { env, open } from './harness.mjs';

const { base, page, check, audit, shot, text, api, tabTo, focusVisible, voteSettled, saveDownloads, expected, finish, stopped } = await open();
const secretariat = env('SECRETARIAT_TOKEN');
const downloads = env('DOWNLOADS');

async function signIn(token) {
  await page.goto(base + '/sign-in');
  await page.focus('body');
  check(await tabTo('#token'), 'the keyboard reaches the token field');
  await page.keyboard.type(token);
  await Promise.all([page.waitForURL(base + '/'), page.keyboard.press('Enter')]);
}

async function signOut() {
  await Promise.all([page.waitForURL(/\/sign-in\?signed-out$/), page.click('.who button[type="submit"]')]);
}

// Waits (bounded) until the API shows `ballot` in `state`.
async function waitFor(ballot, state) {
  for (let i = 0; i < 100; i++) {
    const r = await api('GET', `/v1/groups/ETI/ballots/${ballot}`, secretariat);
    if (r.body.state === state) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}


try {
  const origin = (await api('GET', '/v1/groups/ETI', secretariat)).body.origin;

  // ------------------------------------ alice: her key, keyboard only
  await signIn(env('ALICE_TOKEN'));
  await page.goto(base + '/keys');
  await page.focus('body');
  check(await tabTo('#key-text'), 'the keyboard reaches the key text');
  await page.keyboard.type(readFileSync(env('ALICE_KEY'), 'utf8').trim());
  check(await tabTo('#remember'), 'the keyboard reaches "remember"');
  await page.keyboard.press('Space');
  check(await tabTo('#import-form button[type="submit"]'), 'the keyboard reaches the import button');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#import-status').textContent.length > 0);
  check((await text('#import-status')).includes('one of your registered keys'), 'the key is imported and remembered, with the keyboard only');

  // --------------------------------------- B3: choose, review, change
  await page.goto(base + '/groups/ETI/ballots/B3');
  check(await page.locator('#vote-form fieldset').count() === 2, 'one fieldset per question');
  check((await text('#q-main legend')).includes('main') && (await text('#q-annex legend')).includes('annex'), 'each legend names its question');
  check((await text('#supersede-hint')).includes('your earlier vote is superseded when this one is recorded'), 'the page says that voting again supersedes');
  // What is voted on: the title, each question's text, the document with
  // its SHA-256, downloaded through the session and matching it.
  check((await text('h1')) === 'Approval of GS ETI 001 V1.1.1', 'the title the chair signed heads the page');
  check((await text('.facts')).includes('(your local time: '), 'each time in UTC has the local time beside it');
  check((await text('#q-annex legend')).includes('Do you approve Annex B as informative?'), "each legend gives its question's text");
  const link = page.locator('.documents a');
  check(await link.count() === 1 && (await link.textContent()) === 'GS-ETI-001-draft.txt', 'the document voted on is listed by its file name');
  const href = await link.getAttribute('href');
  const named = href.split('/').pop();
  const fetched = await page.evaluate(async (url) => {
    const r = await fetch(url);
    const digest = await crypto.subtle.digest('SHA-256', await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), sha256: [...new Uint8Array(digest)].map(b => b.toString(16).padStart(2, '0')).join('') };
  }, href);
  check(fetched.status === 200 && fetched.type === 'text/plain' && fetched.sha256 === named, 'the document downloads with the SHA-256 the announcement names');
  check((await text('.documents')).includes(named), 'the page shows the SHA-256 to compare');
  await audit('the ballot page with the vote form');
  await page.focus('body');
  check(await tabTo('#q-main-yes'), 'Tab reaches the first choice of question main');
  check(await focusVisible(), 'the focused choice shows a visible focus outline');
  await page.keyboard.press('Space');
  check(await page.isChecked('#q-main-yes'), 'Space chooses yes');
  check(await tabTo('#vote-form button[type="submit"]'), 'Tab reaches "Review the vote"');
  check(await focusVisible(), 'the focused button shows a visible focus outline');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#vote-review:not([hidden])');
  check(await page.evaluate(() => document.activeElement.id === 'vote-review'), 'the review step takes the focus');
  const warning = await text('#review-notes');
  check(warning.includes('Not answered'), 'the review warns that question annex is unanswered');
  await audit('the review step with a warning');
  check(await tabTo('a[href="#q-annex"]'), 'Tab reaches the change link of question annex');
  await page.keyboard.press('Enter');
  check(await page.evaluate(() => document.activeElement.id === 'q-annex-yes'), 'the change link returns to question annex');
  await page.keyboard.press('ArrowDown');
  check(await page.isChecked('#q-annex-no'), 'the arrow key chooses no');
  await shot('vote-choose');
  check(await tabTo('#vote-form button[type="submit"]'), 'Tab reaches "Review the vote" again');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#vote-review:not([hidden])');
  const notes = await page.locator('#review-notes pre.note').allTextContents();
  const exact = (question, choice) => new RegExp(
    `^scrutineer/vote/v1\\norigin ${origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\nballot B3\\nquestion ${question}\\n`
    + `organisation cadzow\\nchoice ${choice}\\nnonce [A-Za-z0-9+/]{22}==\\n$`,
  );
  check(notes.length === 2 && exact('main', 'yes').test(notes[0]) && exact('annex', 'no').test(notes[1]),
    `the review shows the exact note texts: ${JSON.stringify(notes)}`);
  check(!(await text('#review-notes')).includes('Not answered'), 'no warning once both are answered');
  await audit('the review step');
  await shot('vote-review');

  // -------------------------------------------------- sign and cast
  check(await tabTo('#cast-vote'), 'Tab reaches "Sign and cast"');
  check(await focusVisible(), '"Sign and cast" shows a visible focus outline');
  await page.keyboard.press('Enter');
  await voteSettled();
  const outcome = await text('#vote-outcome');
  check(await page.getAttribute('#vote-outcome', 'role') === 'status', 'the outcome is a status region');
  check((outcome.match(/Receipt verified in this browser/g) || []).length === 2 && !outcome.includes('DOES NOT'),
    `both receipts are verified in the page: ${outcome}`);
  check(outcome.includes('Question main: your vote "yes" is recorded'), 'the vote on main is recorded');
  const files = await saveDownloads('#vote-outcome', downloads);
  check(files.sort().join(' ') === 'B3-annex-cadzow.tlog-proof B3-annex-cadzow.vote B3-main-cadzow.tlog-proof B3-main-cadzow.vote',
    `the page offers the files the CLI writes: ${files.join(' ')}`);
  const kept = await page.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open('scrutineer');
    request.onsuccess = () => {
      const all = request.result.transaction('receipts').objectStore('receipts').getAll();
      all.onsuccess = () => resolve(all.result.map((r) => `${r.question}:${r.choice}:${r.verified}`));
      all.onerror = () => reject(all.error);
    };
    request.onerror = () => reject(request.error);
  }));
  check(kept.sort().join(' ') === 'annex:no:true main:yes:true', `the receipts are kept on this device: ${kept}`);
  await audit('the receipt');
  await shot('vote-receipt');

  // ------------------------------------- change the vote: supersedes
  await page.reload();
  await page.waitForFunction(() => document.querySelector('#vote-outcome').textContent.includes('kept on this device'));
  check((await text('#vote-outcome')).includes('Question main: "yes"'), 'the page lists the votes kept on this device');
  await page.focus('body');
  check(await tabTo('#q-main-yes'), 'Tab reaches question main');
  await page.keyboard.press('ArrowDown');
  check(await page.isChecked('#q-main-no'), 'main is changed to no');
  check(await tabTo('#vote-form button[type="submit"]'), 'Tab reaches "Review the vote"');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#vote-review:not([hidden])');
  check(await tabTo('#cast-vote'), 'Tab reaches "Sign and cast"');
  await page.keyboard.press('Enter');
  await voteSettled();
  const changed = await text('#vote-outcome');
  check(changed.includes('your vote "no" is recorded') && changed.includes('is superseded by this one'),
    `the second vote is recorded and says it supersedes the first: ${changed}`);
  const second = await saveDownloads('#vote-outcome', join(downloads, 'second'));
  check(second.sort().join(' ') === 'B3-main-cadzow.tlog-proof B3-main-cadzow.vote', `the page offers the second vote's files: ${second.join(' ')}`);
  await signOut();

  // ------------------------------ dave: not eligible, refused in words
  await signIn(env('DAVE_TOKEN'));
  await page.goto(base + '/groups/ETI/ballots/B3');
  check((await text('main')).includes('May not vote:'), "dave's page shows his organisation's roll line");
  await page.check('#q-main-yes');
  await page.setInputFiles('#vote-key-file', env('DAVE_KEY'));
  await page.click('#vote-form button[type="submit"]');
  await page.waitForSelector('#vote-review:not([hidden])');
  expected.push(422);
  await page.click('#cast-vote');
  await page.waitForSelector('#vote-error:not([hidden])');
  const refusal = await text('#vote-error');
  check(refusal.includes("not on this ballot's roll as eligible") && refusal.includes('not-eligible'),
    `the refusal is shown in words with the server's reason: ${refusal}`);
  await audit('a refused vote');
  await shot('vote-refused');
  await signOut();

  // -------------------- a vote signed before the close, sent after it
  await signIn(env('ALICE_TOKEN'));
  await page.goto(base + '/groups/ETI/ballots/B1');
  await page.check('#q-main-abstain');
  await page.click('#vote-form button[type="submit"]');
  await page.waitForSelector('#vote-review:not([hidden])');
  const moved = await api('POST', '/v1/clock', secretariat, { advance_seconds: 31 * 24 * 3600 });
  check(moved.status === 200, 'the clock moves past the close');
  check(await waitFor('B1', 'tallied') && await waitFor('B3', 'tallied'), 'B1 and B3 close and are tallied');
  expected.push(422);
  await page.click('#cast-vote');
  await page.waitForSelector('#vote-error:not([hidden])');
  const late = await text('#vote-error');
  check(late.includes('outside-window') && late.includes('does not take votes now'), `a vote after the close is refused: ${late}`);

  // ------------------------------------------------ after the close
  await page.goto(base + '/groups/ETI/ballots/B3');
  check(await page.locator('#vote-form').count() === 0, 'no vote form after the close');
  const result = await text('main');
  check(result.includes('rejected') && result.includes('The chair has not certified this result yet.'), 'the result, its outcome and certification status');
  const counted = await page.locator('#counted tbody tr').allTextContents();
  check(counted.length === 2 && counted.every((row) => row.includes('cadzow') && row.includes('no')), `each organisation's counted vote: ${counted}`);
  await page.waitForFunction(() => document.querySelector('#my-votes-status li'));
  const mine = await text('#my-votes-status');
  check(mine.includes('Question main: your vote "yes"') && mine.includes('was superseded by a later vote'), `the first vote on main is shown superseded: ${mine}`);
  check(mine.includes('Question main: your vote "no"') && mine.includes('Question annex: your vote "no"') && (mine.match(/\) counted\./g) || []).length === 2,
    `the later votes are shown counted: ${mine}`);
  await audit('the result');
  await shot('vote-result');
} catch (error) {
  stopped(error);
}
await finish();
