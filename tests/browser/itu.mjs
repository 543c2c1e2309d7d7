// An ITU-T Member State's reply with reasons, in Debian's Chromium (SPEC
// section 8: "ITU-T replies carry comments or reasons as the
// attachment"): jun, for JP, replies do-not-assign to consultation C1.
// Without reasons the server refuses in words (reasons-required); with
// reasons typed in the page the review shows the note naming their
// SHA-256, the reply is recorded, its receipt verifies in the page, and
// the files are offered for tests/browser.rs to give to `scrutineer
// receipt verify`. axe-core on each state.
//
//   SCRUTINEER_URL        the server
//   JUN_TOKEN, JUN_KEY    jun (JP, a Member State) and his key file
//   DOWNLOADS             where the downloaded files go
//   SCREENSHOTS           optional: a directory for PNGs

import { createHash } from 'node:crypto';
import { env, open } from './harness.mjs';

const { base, page, check, audit, shot, text, voteSettled, saveDownloads, expected, finish, stopped } = await open();
const downloads = env('DOWNLOADS');
const reasons = 'Clause 7 conflicts with X.509: the draft cannot be assigned as it stands.';

async function review() {
  await page.check('#q-main-do-not-assign');
  await page.setInputFiles('#vote-key-file', env('JUN_KEY'));
  await page.click('#vote-form button[type="submit"]');
  await page.waitForSelector('#vote-review:not([hidden])');
}

try {
  await page.goto(base + '/sign-in');
  await page.fill('#token', env('JUN_TOKEN'));
  await Promise.all([page.waitForURL(base + '/'), page.press('#token', 'Enter')]);
  await page.goto(base + '/groups/SG17/ballots/C1');
  check(await page.locator('#vote-form fieldset').count() === 1, 'one fieldset for the draft Recommendation');
  check(await page.locator('label[for="q-main-attachment"]').count() === 1, 'the reply has a labelled comments or reasons field');
  check((await text('#q-main-attachment-hint')).includes('required with do-not-assign'), 'the page says which choice needs reasons');
  await audit('a consultation reply');

  // do-not-assign without reasons: refused in words, nothing recorded.
  await review();
  expected.push(422);
  await page.click('#cast-vote');
  await page.waitForSelector('#vote-error:not([hidden])');
  const refusal = await text('#vote-error');
  check(refusal.includes('must carry reasons'), `a reply without reasons is refused in words: ${refusal}`);

  // With reasons: the note names their SHA-256, the reply is recorded.
  await page.goto(base + '/groups/SG17/ballots/C1');
  await page.fill('#q-main-attachment', reasons);
  await review();
  const hash = createHash('sha256').update(reasons, 'utf8').digest('hex');
  const note = (await page.locator('#review-notes pre.note').allTextContents()).join('\n');
  check(note.includes('choice do-not-assign\n') && note.includes(`attachment sha256:${hash}\n`),
    `the note to be signed names the reasons by their SHA-256: ${note}`);
  check((await text('#review-notes')).includes(`SHA-256 ${hash}`), 'the review says the reasons travel with the reply');
  await audit('the review of a reply with reasons');
  await page.click('#cast-vote');
  await voteSettled();
  const outcome = await text('#vote-outcome');
  check(outcome.includes('Receipt verified in this browser') && !outcome.includes('DOES NOT'), `the receipt is verified in the page: ${outcome}`);
  check(outcome.includes('your vote "do-not-assign" is recorded'), 'the reply is recorded');
  const names = await saveDownloads('#vote-outcome', downloads);
  check(names.includes('C1-main-JP.vote') && names.includes('C1-main-JP.tlog-proof'), `the page offers the files the CLI writes: ${names}`);
  await audit('a recorded reply with reasons');
  await shot('itu-reply-receipt');
} catch (error) {
  stopped(error);
}
await finish();
