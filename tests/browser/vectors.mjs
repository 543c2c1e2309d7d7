// The vote notes built and signed by the web application's ES module
// (src/server/web/static/scrutineer.js) against the shared known answers
// (../shared/vectors/scrutineer/vote-notes.json, read where it lies, never
// copied). Run by tests/browser.rs with node, which gives the module the
// same WebCrypto API as the browser:
//
//   VECTORS   the path of vote-notes.json
//
// Exits non-zero with a list of what failed.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const module = await import(join(here, '../../src/server/web/static/scrutineer.js'));
const { parsePrivateKey, parseVerifierKey, importSeed, keyId, voteNoteText, signNote, checkCommitment, hex, sha256 } = module;

const encoder = new TextEncoder();
const vectors = JSON.parse(readFileSync(process.env.VECTORS, 'utf8'));
const failures = [];
function check(condition, what) {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
  if (!condition) failures.push(what);
}

for (const v of vectors.votes) {
  const name = `${v.person} in ${v.ballot}`;
  const parsed = parsePrivateKey(v.private_key);
  const { privateKey, publicKey } = await importSeed(parsed.seed);
  const id = await keyId(parsed.name, publicKey);
  const verifier = await parseVerifierKey(v.verifier_key);
  check(id === parsed.id && id === verifier.id && hex(publicKey) === hex(verifier.publicKey), `${name}: the key id and public key match the vector`);
  const attachment = v.attachment === undefined ? null : hex(await sha256(encoder.encode(v.attachment)));
  const text = voteNoteText({
    origin: v.origin, ballot: v.ballot, question: v.question, organisation: v.organisation,
    choice: v.choice, attachment, nonce: Uint8Array.from(Buffer.from(v.nonce_hex, 'hex')),
  });
  check(v.signed_note.startsWith(`${text}\n`), `${name}: the note's text is the vector's, byte for byte`);
  const signed = await signNote(text, { name: v.person, id, privateKey });
  check(signed === v.signed_note, `${name}: the signed note is the vector's, byte for byte`);
  const entry = encoder.encode(v.vote_entry);
  let accepted = true;
  try { await checkCommitment(entry, encoder.encode(signed), v.ballot); } catch { accepted = false; }
  check(accepted, `${name}: the vector's vote entry commits to the signed note`);
  const other = encoder.encode(v.vote_entry.replace('\n\n', '\nextra x\n\n'));
  let refused = false;
  try { await checkCommitment(other, encoder.encode(signed), v.ballot); } catch { refused = true; }
  check(refused, `${name}: an entry with another line does not`);
}

if (failures.length > 0) {
  console.log(`\n${failures.length} check(s) failed:\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log(`\nthe module reproduces all ${vectors.votes.length} vote notes`);
