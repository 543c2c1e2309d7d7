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
// cosignature was altered on the way is refused. Each witness's key is
// pinned in the browser on first use: a key the server later names
// differently for the same witness is a loud failure. axe-core on each
// state.

import { createHash, generateKeyPairSync } from 'node:crypto';
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
  const pinnedNow = valid.match(/the key of witness witness\d\.example pinned on this device now \(first use\)/g) || [];
  check(pinnedNow.length === 3, `each witness's key is pinned on first use (${pinnedNow.length})`);
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

  // The same witness named with another key: the pinned key stands.
  await page.reload();
  const again = await run();
  check(again.includes('The receipt is valid.') && !again.includes('pinned on this device now'), `a second check uses the pinned witness keys: ${again}`);
  const name = 'witness1.example';
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const material = Buffer.concat([Buffer.of(0x04), raw]);
  const id = createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), material])).digest('hex').slice(0, 8);
  const other = `${name}+${id}+${material.toString('base64')}`;
  await page.route('**/witness-policy', async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).split('\n')
      .map((line) => (line.includes(` ${name}+`) ? line.replace(new RegExp(`${name}\\+\\S+`), other) : line)).join('\n');
    await route.fulfill({ response, body });
  });
  await page.reload();
  const swapped = await run();
  check(swapped.includes(`THE KEY OF WITNESS ${name} CHANGED`) && swapped.includes(other) && swapped.includes('does NOT check out'),
    `a witness key the server swapped is refused: ${swapped}`);
  await audit('the check page with a changed witness key');
  await page.unroute('**/witness-policy');
} catch (error) {
  stopped(error);
}
await finish();
