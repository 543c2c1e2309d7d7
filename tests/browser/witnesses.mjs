// The receipt check page shows the witnesses' cosignatures it verified
// (tests/browser.rs starts a server that asks three real `scrutineer
// witness` processes, quorum two of three, and votes with the CLI):
//
//   SCRUTINEER_URL   http://127.0.0.1:<port>
//   RECEIPT          alice's receipt from `scrutineer vote`
//   SCREENSHOTS      optional: a directory for a PNG of each page
//
// The page names each witness with its key's fingerprint and says the
// keys come from the server, lists who cosigned the log's current
// checkpoint and when, and says the quorum is met; a checkpoint whose
// cosignature was altered on the way is refused. axe-core on each state.

import { env, open } from './harness.mjs';

const { base, page, check, audit, shot, text, finish, stopped } = await open();

const run = async () => {
  await page.setInputFiles('#receipt-file', env('RECEIPT'));
  await page.click('#check-form button[type="submit"]');
  await page.waitForFunction(() => /check out|is valid/.test(document.querySelector('#check-result').textContent));
  return text('#check-result');
};

try {
  const policy = await page.request.get(base + '/witness-policy');
  const policyText = await policy.text();
  check(policy.status() === 200 && policyText.includes('quorum two-of-three') && !policyText.includes('http'), `the server serves its witness policy without URLs: ${policyText}`);

  await page.goto(base + '/check');
  check((await text('#witness-keys-note')).includes('come from this server'), 'the page says where the witness keys come from');
  await audit('the check page with witnesses');
  const valid = await run();
  check(valid.includes('The receipt is valid.'), `the receipt is valid: ${valid}`);
  check(valid.includes('this server names 3 witnesses') && valid.includes('fingerprint'), 'the witnesses are named with their fingerprints');
  check(valid.includes('compare the fingerprints with those your secretariat publishes'), 'the page says to compare the keys out of band');
  let cosigned = 0;
  for (const w of ['w1', 'w2', 'w3']) {
    const re = new RegExp(`witness ${w} \\(witness\\d\\.example\\) cosigned the log's current checkpoint \\(size \\d+\\) at 2026-07-16T[0-9:]+Z; its signature verifies`);
    if (re.test(valid)) cosigned += 1;
  }
  check(cosigned >= 2, `at least two witnesses' cosignatures on the current checkpoint are listed with their times (${cosigned})`);
  check(valid.includes("the witness quorum cosigned the log's current checkpoint"), 'the quorum is met on the current checkpoint');
  await audit('the check page with cosignatures');
  await shot('check-witnesses');

  // A cosignature altered between the server and the page is refused.
  let altered = null;
  await page.route('**/log/checkpoint', async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    const lines = body.split('\n');
    const at = lines.findIndex((line) => line.startsWith('\u2014 witness'));
    altered = lines[at].split(' ')[1];
    const [dash, name, b64] = lines[at].split(' ');
    const bytes = Buffer.from(b64, 'base64');
    bytes[bytes.length - 1] ^= 1;
    lines[at] = [dash, name, bytes.toString('base64')].join(' ');
    await route.fulfill({ response, body: lines.join('\n') });
  });
  await page.reload();
  const refused = await run();
  const named = `witness w${altered.slice('witness'.length, 'witness'.length + 1)} (${altered}) does NOT verify`;
  check(refused.includes('does NOT check out') && refused.includes(named), `an altered cosignature is refused (${named}): ${refused}`);
  await audit('the check page with a bad cosignature');
  await page.unroute('**/log/checkpoint');
} catch (error) {
  stopped(error);
}
await finish();
