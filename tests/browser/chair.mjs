// The chair announces a ballot in Debian's Chromium (tests/browser.rs
// starts the server with group ETI, carol its chair with a registered key):
//
//   SCRUTINEER_URL   http://127.0.0.1:<port>
//   CAROL_TOKEN      carol's token
//   CAROL_KEY        carol's key file, made by `scrutineer keygen`
//   ALICE_TOKEN      alice's token (a delegate of cadzow)
//   DOCUMENT         a file to vote on, attached to B9 in the page
//   SCREENSHOTS      optional: a directory for a PNG of each page
//
// The notice rule is explained while the dates are typed (refused, then
// allowed), and again by the "Check the dates" button that posts the form.
// A draft that opens too early is refused in words before anything is
// signed; the corrected draft, with a document attached (its SHA-256
// computed in the page), shows the exact announcement note and the
// document's name and SHA-256, which the page signs with carol's key
// (picked as a file) and submits, with the keyboard only; the answer names
// the log entry, and alice's ballot page downloads the document with the
// SHA-256 the note names. B9 is announced again, its document carried
// over and fetched from the log's store (no longer kept on the device). A
// second ballot is announced, then cancelled before it opens. axe-core on
// every state.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { env, open } from './harness.mjs';

const { base, page, check, audit, shot, text, tabTo, focusVisible, expected, finish, stopped } = await open();
// The dates' explanation settles once the answer to the latest draft is
// shown (the region is aria-busy from each change until then).
const datesSettled = () => page.waitForFunction(() => !document.querySelector('#dates-explained').hasAttribute('aria-busy'));
const outcomeOf = () => page.getAttribute('#dates-outcome', 'data-outcome');
const documentPath = env('DOCUMENT');
const documentBytes = readFileSync(documentPath);
const documentName = basename(documentPath);
const documentHash = createHash('sha256').update(documentBytes).digest('hex');

try {
  await page.goto(base + '/sign-in');
  await page.fill('#token', env('CAROL_TOKEN'));
  await Promise.all([page.waitForURL(base + '/'), page.click('main button[type="submit"]')]);
  check(await page.locator('a[href="/groups/ETI/announce"]').count() === 1, 'the home page links the chair to the announcement');
  await page.click('a[href="/groups/ETI/announce"]');
  await page.waitForURL(base + '/groups/ETI/announce');
  check((await text('#notice-rule')).includes('2026-07-01T00:00:00Z'), `the notice rule is explained: ${await text('#notice-rule')}`);
  check(await outcomeOf() === 'incomplete', 'with no dates yet, the rule waits for them');
  await audit('the announcement draft');

  // A meeting vote: the meeting and its dates are shown with the rule,
  // counted to the meeting's start (the announcement is its agenda item).
  await page.selectOption('#kind', 'meeting');
  await page.fill('#meeting', 'kom');
  await page.fill('#opens', '2026-02-01T10:00:00Z');
  await page.fill('#closes', '2026-02-01T12:00:00Z');
  await datesSettled();
  const meeting = await text('#dates-explained');
  check(await outcomeOf() === 'refused' && meeting.includes('Meeting kom: a plenary, face-to-face, from 2026-02-01T09:00:00Z')
    && meeting.includes('agenda item') && meeting.includes('The meeting starts at 2026-02-01T09:00:00Z'),
  `a meeting vote is explained with its meeting, and refused for a meeting that starts before the notice has run: ${meeting}`);
  await page.fill('#meeting', 'nosuch');
  await datesSettled();
  check((await text('#dates-explained')).includes('The registry has no such meeting'), 'an unknown meeting is refused in words');
  await audit('the notice rule on a meeting vote');
  await page.selectOption('#kind', 'correspondence');
  await page.fill('#meeting', '');

  await page.fill('#ballot', 'B9');
  await page.fill('#title', 'Approval of GS ETI 009 V1.1.1');
  await page.fill('#questions', 'main Do you approve GS ETI 009 V1.1.1 for publication?');
  await page.fill('#opens', '2026-06-10');
  await page.fill('#closes', '2026-07-10');
  await datesSettled();
  const typed = await text('#dates-explained');
  check(await outcomeOf() === 'refused' && typed.includes('before the notice of an announcement made now has run') && typed.includes('2026-07-01T00:00:00Z'),
    `an opening too early is refused while typing, with the earliest allowed opening: ${typed}`);
  await audit('the notice rule refusing the dates while typing');
  await shot('chair-announce-dates-refused');
  await page.fill('#opens', '2026-07-15');
  await page.fill('#closes', '2026-08-15');
  await datesSettled();
  check(await outcomeOf() === 'allowed' && (await text('#dates-explained')).includes('These dates keep the notice rule'),
    `corrected dates are allowed while typing: ${await text('#dates-explained')}`);
  // Without the module, "Check the dates" posts the draft and the page
  // comes back with the same explanation and the draft kept.
  await page.fill('#opens', '2026-06-10');
  await page.fill('#closes', '2026-07-10');
  await Promise.all([page.waitForLoadState(), page.click('#check-dates')]);
  check(await outcomeOf() === 'refused' && (await page.inputValue('#title')) === 'Approval of GS ETI 009 V1.1.1'
    && await page.locator('#announcement-note').count() === 0,
  'the "Check the dates" button re-renders the draft with the rule applied, and no note');
  await audit('the draft after "Check the dates"');
  expected.push(422);
  await Promise.all([page.waitForLoadState(), page.click('form[action="/groups/ETI/announce"] button[type="submit"]:not([name])')]);
  const refused = await text('#draft-refused');
  check(refused.includes('nothing was signed') && refused.includes('notice-period'), `an opening too early is refused in words: ${refused}`);
  check(await page.locator('#announcement-note').count() === 0, 'no note is offered for signing');
  check((await page.inputValue('#title')) === 'Approval of GS ETI 009 V1.1.1', 'the draft is kept');
  await audit('the announcement draft refused');

  await page.fill('#opens', '2026-07-15');
  await page.fill('#closes', '2026-08-15');
  await page.setInputFiles('#document-files', documentPath);
  await page.waitForFunction(() => document.querySelectorAll('#document-list li').length === 1);
  const listed = await text('#document-list');
  check(listed.includes(documentName) && listed.includes(documentHash), `the picked document is listed with its SHA-256: ${listed}`);
  await audit('the draft with a document');
  await Promise.all([page.waitForLoadState(), page.click('form[action="/groups/ETI/announce"] button[type="submit"]:not([name])')]);
  const note = await text('#announcement-note');
  check(note.includes(`document sha256:${documentHash} ${documentBytes.length} application/pdf ${documentName}\n`),
    `the note names the document by SHA-256, size, media type and name: ${note}`);
  const reviewed = await text('#announce-documents');
  check(await page.locator(`#announce-documents li[data-sha256="${documentHash}"]`).count() === 1
    && reviewed.includes(documentName) && reviewed.includes(documentHash), `the review step shows the document's name and SHA-256: ${reviewed}`);
  check(note.startsWith('scrutineer/announcement/v2\n') || note.includes('ballot B9\n'), `the exact note is shown: ${note}`);
  check(note.includes('title Approval of GS ETI 009 V1.1.1\n') && note.includes('question main Do you approve'), 'the note carries the title and the question text');
  check(note.includes('opens 2026-07-15T00:00:00.000000Z\n'), 'the note carries the opening');
  await audit('the announcement review');
  await shot('chair-announce-review');

  await page.setInputFiles('#announce-key-file', env('CAROL_KEY'));
  await page.focus('#announce-key-file');
  check(await tabTo('#sign-announce'), 'the keyboard reaches the sign button');
  check(await focusVisible(), 'the sign button shows its focus');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelector('#announce-outcome').textContent.length > 0
    || !document.querySelector('#announce-error').hidden);
  const outcome = await text('#announce-outcome');
  check(outcome.includes('Ballot B9 is announced: logged as entry'), `the announcement is logged: ${outcome} ${await text('#announce-error')}`);
  await audit('the announcement logged');
  await shot('chair-announced');
  await page.click('#announce-outcome a');
  await page.waitForURL(base + '/groups/ETI/ballots/B9');
  check((await text('main')).includes('Approval of GS ETI 009 V1.1.1'), 'the ballot page shows the title signed');

  // alice, a delegate, downloads the document from her ballot page: the
  // bytes have the SHA-256 the signed note names.
  await Promise.all([page.waitForURL(/\/sign-in\?signed-out$/), page.click('.who button[type="submit"]')]);
  await page.fill('#token', env('ALICE_TOKEN'));
  await Promise.all([page.waitForURL(base + '/'), page.click('main button[type="submit"]')]);
  await page.goto(base + '/groups/ETI/ballots/B9');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`a[href$="/documents/${documentHash}"]`)]);
  const downloaded = readFileSync(await download.path());
  check(download.suggestedFilename() === documentName && createHash('sha256').update(downloaded).digest('hex') === documentHash,
    `alice's ballot page downloads ${download.suggestedFilename()} with the SHA-256 the note names`);
  await Promise.all([page.waitForURL(/\/sign-in\?signed-out$/), page.click('.who button[type="submit"]')]);
  await page.fill('#token', env('CAROL_TOKEN'));
  await Promise.all([page.waitForURL(base + '/'), page.click('main button[type="submit"]')]);

  // B9 announced again, with a later close: its document is carried over
  // and, no longer kept on this device once logged, fetched from the
  // ballot as announced and checked against the SHA-256 the note names.
  await page.goto(base + '/groups/ETI/announce?ballot=B9');
  const keptHere = await page.evaluate((sha) => new Promise((resolve, reject) => {
    const opened = indexedDB.open('scrutineer');
    opened.onerror = () => reject(opened.error);
    opened.onsuccess = () => {
      const got = opened.result.transaction('documents').objectStore('documents').get(sha);
      got.onsuccess = () => { opened.result.close(); resolve(Boolean(got.result)); };
    };
  }), documentHash);
  check(!keptHere, 'once logged, the document is no longer kept on this device');
  check((await text('#document-list')).includes(documentHash), 'the re-announcement\'s draft lists the document announced');
  await page.fill('#closes', '2026-08-16');
  await Promise.all([page.waitForLoadState(), page.click('form[action="/groups/ETI/announce"] button[type="submit"]:not([name])')]);
  check(await page.locator(`#announce-documents li[data-sha256="${documentHash}"]`).count() === 1, 'the new note names the document again');
  await page.setInputFiles('#announce-key-file', env('CAROL_KEY'));
  await page.click('#sign-announce');
  await page.waitForFunction(() => !document.querySelector('#announce-outcome').hasAttribute('aria-busy')
    && (document.querySelector('#announce-outcome').textContent.length > 0 || !document.querySelector('#announce-error').hidden));
  check((await text('#announce-outcome')).includes('Ballot B9 is announced'),
    `B9 is announced again with its document, fetched from the log's store: ${await text('#announce-outcome')} ${await text('#announce-error')}`);

  // A second ballot, announced then cancelled before it opens.
  await page.goto(base + '/groups/ETI/announce');
  await page.fill('#ballot', 'B10');
  await page.fill('#title', 'Approval of GS ETI 010 V1.1.1');
  await page.fill('#questions', 'main Do you approve GS ETI 010 V1.1.1 for publication?');
  await page.fill('#opens', '2026-07-20');
  await page.fill('#closes', '2026-08-20');
  await Promise.all([page.waitForLoadState(), page.click('form[action="/groups/ETI/announce"] button[type="submit"]:not([name])')]);
  await page.setInputFiles('#announce-key-file', env('CAROL_KEY'));
  await page.click('#sign-announce');
  await page.waitForFunction(() => document.querySelector('#announce-outcome').textContent.length > 0
    || !document.querySelector('#announce-error').hidden);
  check((await text('#announce-outcome')).includes('Ballot B10 is announced'), 'a second ballot is announced');
  // B10 changed before it opens: the draft is filled from its
  // announcement, and the changed note is signed and logged again.
  await page.goto(base + '/groups/ETI/announce');
  await Promise.all([page.waitForURL(base + '/groups/ETI/announce?ballot=B10'), page.click('a[href="/groups/ETI/announce?ballot=B10"]')]);
  check((await page.inputValue('#title')) === 'Approval of GS ETI 010 V1.1.1' && (await page.inputValue('#closes')) === '2026-08-20T00:00:00Z',
    'the draft is filled from the announcement');
  check((await text('#again')).includes('replaces the earlier one'), 'the page says what announcing again does');
  await audit('the draft of a re-announcement');
  await page.fill('#closes', '2026-08-27');
  await Promise.all([page.waitForLoadState(), page.click('form[action="/groups/ETI/announce"] button[type="submit"]:not([name])')]);
  check((await text('#announcement-note')).includes('closes 2026-08-27T00:00:00.000000Z\n'), 'the changed note is shown');
  await page.setInputFiles('#announce-key-file', env('CAROL_KEY'));
  await page.click('#sign-announce');
  await page.waitForFunction(() => document.querySelector('#announce-outcome').textContent.length > 0
    || !document.querySelector('#announce-error').hidden);
  check((await text('#announce-outcome')).includes('Ballot B10 is announced'), `B10 is announced again: ${await text('#announce-outcome')} ${await text('#announce-error')}`);
  await page.goto(base + '/groups/ETI/announce');
  check(await page.locator('form[action="/groups/ETI/ballots/B10/cancel"]').count() === 1, 'an announced ballot may be cancelled from the page');
  await audit('the announcement page with ballots to cancel');
  await Promise.all([page.waitForLoadState(), page.click('form[action="/groups/ETI/ballots/B10/cancel"] button')]);
  const cancelled = await text('#cancelled');
  check(cancelled.includes('Ballot B10 is cancelled: logged as entry'), `the cancellation is logged: ${cancelled}`);
  check(await page.locator('form[action="/groups/ETI/ballots/B10/cancel"]').count() === 0, 'a cancelled ballot is no longer offered');
  check(page.url() === base + '/groups/ETI/announce', 'the cancellation redirected to the page (Post/Redirect/Get)');
  await page.reload();
  check(await page.locator('#cancelled').count() === 0, 'a reload neither repeats the message nor posts again');
  await audit('the announcement page after a cancellation');
} catch (error) {
  stopped(error);
}
await finish();
