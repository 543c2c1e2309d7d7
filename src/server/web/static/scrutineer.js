// Scrutineer's one first-party ES module: keys, votes and receipt checks in
// the browser (SPEC section 8). Readable on purpose, no dependencies, no build
// step: anyone can read what runs next to their key.
//
// - Keys: a `scrutineer keygen` private key (PRIVATE+KEY+<name>+<id>+<b64>,
//   docs/formats.md section 3) becomes a NON-extractable WebCrypto Ed25519
//   key; its C2SP key id is checked against the person's registered ids
//   (listed on the keys page); "remember on this device" keeps the
//   non-extractable CryptoKey in IndexedDB. Or the browser generates a key
//   and fills the key request form with its verifier key.
// - Votes: the ballot page's choices become the exact vote notes of SPEC
//   section 4 (one per question, byte for byte as src/vote.rs writes
//   them), shown before signing, signed with the person's registered key
//   and sent with fetch as the bytes signed; each receipt is verified as
//   `scrutineer vote` verifies it, kept in IndexedDB and offered as the
//   same `.vote` and `.tlog-proof` files the CLI writes.
// - Receipts: a C2SP tlog-proof is checked against the group's log key,
//   pinned in IndexedDB on first use: checkpoint signature, RFC 6962
//   inclusion, the entry's commitment to the vote file, and consistency of
//   the receipt's checkpoint with the log's current one (RFC 9162 2.1.4.2).
//
// Nothing here writes a token, a key or a session id to a URL, to
// localStorage or to the console.

const subtle = globalThis.crypto && globalThis.crypto.subtle;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// ------------------------------------------------------------ messages

// Every sentence this module shows, in one catalogue (SPEC section 8,
// "Language": a translation replaces this table and touches no code).
// The pages' own texts are in the templates.
const MESSAGES = {
  // Outcome lists (each line marked by a word as well as a colour).
  noteLine: (text) => `Note: ${text}`,
  passedLine: (text) => `Passed: ${text}`,
  failedLine: (text) => `Failed: ${text}`,
  errorLine: (text) => `Error: ${text}`,
  sentence: (text) => `${text}.`,
  answered: (path, status) => `${path} answered ${status}`,

  // Formats: keys, signed notes, checkpoints, receipts.
  notBase64: 'not canonical base64',
  badKeyName: 'the key name is empty or has spaces, "+" or control characters',
  notPrivateKey: 'a key file begins with PRIVATE+KEY+',
  keyNoName: 'the key has no name',
  keyIdNotHex: 'the key id is not 8 hex digits',
  notEd25519: 'not an Ed25519 key',
  notVerifierKey: 'a verifier key is name+id+base64',
  keyIdMismatch: 'the key id does not match the key',
  notSignedNote: 'not a signed note',
  signatureLineMalformed: 'a signature line is malformed',
  signatureLineShort: 'a signature line is too short',
  checkpointSizeMalformed: 'the checkpoint size is malformed',
  checkpointRootMalformed: 'the checkpoint root is not a SHA-256 hash',
  checkpointNotSigned: 'the checkpoint is not signed by the pinned log key',
  signatureLength: 'an Ed25519 signature line has 4 + 64 bytes',
  checkpointSignatureBad: 'the checkpoint signature does not verify',
  receiptNoCheckpoint: 'the receipt has no checkpoint',
  notReceipt: 'not a c2sp.org/tlog-proof@v1 receipt',
  receiptNoIndex: 'the receipt has no index line',
  proofLineMalformed: 'a proof line is not a SHA-256 hash',
  nonceLength: 'a nonce is 16 bytes',
  attachmentName: 'an attachment is named by 64 lowercase hex digits',

  // The keys page.
  deviceKey: (id, registered, print, added) => `Key id ${id}, ${registered ? 'registered' : 'not registered (yet)'}; fingerprint ${print}; kept since ${added}.`,
  noKeyGiven: 'pick a key file or paste a key',
  keyIdInFile: 'the key id in the file does not match the key',
  keyNamedOther: (name, person) => `the key is named ${name}, not after you (${person})`,
  keyImported: (id, print) => `the key was imported and cannot be read back (key id ${id}, fingerprint ${print}).`,
  keyRegistered: (registered) => (registered
    ? 'it is one of your registered keys.'
    : 'it is not among your registered keys: ask for it to be registered below.'),
  keyNotUsed: (why) => `The key could not be used: ${why}.`,
  keyMade: (id, print) => `A new key was made and kept on this device (key id ${id}, fingerprint ${print}). Its public key is in the request form below: send it.`,
  keyNotMade: (why) => `No key could be made: ${why}.`,
  deviceKeysUnreadable: (why) => `Keys on this device cannot be read: ${why}.`,

  // The log key, pinned on first use.
  logKeyChanged: (pinned, origin, served) => `THE LOG KEY CHANGED. This browser pinned ${pinned} for ${origin}, but the server now serves ${served}. Do not trust this server's answers; tell your secretariat.`,
  logKeyMisnamed: 'the log key is not named by the log origin',
  logKeyPinned: (origin, print) => `log key of ${origin} pinned on this device now (first use); fingerprint ${print}. Compare it with the one your secretariat publishes.`,
  logKeySame: (origin, print) => `log key of ${origin} is the one pinned on this device; fingerprint ${print}.`,

  // The receipt check page.
  noReceiptFile: 'Error: choose a receipt file.',
  checking: 'Checking…',
  receiptNoEntry: 'the receipt carries no entry (no extra line)',
  checkpointSigned: (size) => `checkpoint of size ${size} signed by the log key.`,
  entryIncluded: (index, included) => `entry ${index} is ${included ? '' : 'NOT '}in the log at that checkpoint.`,
  voteFileCommitted: (ok) => (ok
    ? 'the entry commits to exactly the bytes of the vote file.'
    : 'the entry does not commit to this vote file.'),
  noteCommitted: (sha) => `the entry commits to the vote note sha256:${sha} (load the vote file to compare).`,
  consistent: (size, ok) => (ok
    ? `the log's current checkpoint (size ${size}) contains the receipt's: the log only grew.`
    : `the log's current checkpoint (size ${size}) is NOT consistent with the receipt's.`),
  receiptVerdict: (passed) => (passed ? 'The receipt is valid.' : 'The receipt does NOT check out.'),
  auditBundle: 'audit bundle',
  ballotPageLink: 'the ballot\'s page',
  // The sentence around the ballot page's and the bundle's links and the
  // command (DOM nodes).
  audit: (page, link, command) => ['After the close, members see the result and whether it is certified on ',
    page, ', and audit the whole ballot: download the ', link, ' (with a token) and run ', command, '.'],

  // Witnesses' cosignatures (C2SP tlog-cosignature) on the check page.
  notWitnessKey: 'a witness key is name+id+base64',
  witnessKeyIdNotHex: 'a witness key id is not 8 hex digits',
  witnessKeyNotEd25519: 'a witness key is not an Ed25519 cosignature key',
  witnessKeyIdMismatch: 'a witness key id does not match its key',
  policyUnknownMember: (group, name) => `the witness policy's group ${group} names an unknown ${name}`,
  policyBadThreshold: (group) => `the witness policy's group ${group} has a bad threshold`,
  policyUnknownQuorum: (name) => `the witness policy's quorum names an unknown ${name}`,
  policyUnreadable: 'the witness policy has a line this page cannot read',
  policyNoQuorum: 'the witness policy has no quorum line',
  cosignatureLength: (name) => `the cosignature of witness ${name} has the wrong length`,
  cosignatureBad: (name, keyName) => `the cosignature of witness ${name} (${keyName}) does NOT verify`,
  witnessKeyPinned: (keyName, print) => `the key of witness ${keyName} pinned on this device now (first use); fingerprint ${print}.`,
  witnessKeyChanged: (keyName, pinned, served) => `THE KEY OF WITNESS ${keyName} CHANGED. This browser pinned ${pinned}, but the server now names ${served}. Its cosignatures are checked under the pinned key; tell your secretariat.`,
  witnessName: (name, keyName, print) => `${name} (${keyName}, fingerprint ${print})`,
  witnessesNamed: (n, names) => `this server names ${n} witnesses: ${names}. Their keys come from the server: compare the fingerprints with those your secretariat publishes before relying on them.`,
  receiptCheckpoint: (size) => `the receipt's checkpoint (size ${size})`,
  currentCheckpoint: (size) => `the log's current checkpoint (size ${size})`,
  notCosigned: (name, keyName, what) => `witness ${name} (${keyName}) has not cosigned ${what}.`,
  cosigned: (name, keyName, what, at) => `witness ${name} (${keyName}) cosigned ${what} at ${at}; its signature verifies.`,
  quorumCosigned: (what) => `the witness quorum cosigned ${what}.`,
  quorumNotYet: (what) => `the witness quorum has not cosigned ${what} yet (witnesses are asked every few seconds: check again in a minute).`,

  // A vote's receipt, checked as `scrutineer vote` checks it.
  notVoteEntry: 'the receipt\'s entry is not a vote entry',
  entryNotCommitted: 'the receipt\'s entry does not commit to the exact bytes signed here',
  receiptNoExtra: 'the receipt has no extra line, so it does not say which entry it proves',
  receiptOtherIndex: (index, said) => `the receipt is for entry ${index} but the server said ${said}`,
  receiptOtherLog: 'the receipt\'s checkpoint is of another log',
  notIncluded: 'the inclusion proof does not lead to the checkpoint\'s root',

  // The chair's, reviewers' and delegates' steps; refusal codes of SPEC
  // sections 4 and 5 and of the API's problems.
  localTime: (text) => ` (your local time: ${text})`,
  announceRefused: (detail) => `The announcement was not logged. The server's reason: ${detail}.`,
  datesUnchecked: (why) => `The dates could not be checked now (${why}); "Check the dates" asks again.`,
  draftDocument: (name, type, size, sha) => `${name} (${type}, ${size} bytes), SHA-256 ${sha}`,
  removeDocument: (name) => `Remove ${name}`,
  documentsNamed: (n) => `${n} document(s) will be named in the note.`,
  documentTooLarge: (name, size, max) => `${name} has ${size} bytes, more than the ${max} a document voted on may have: it is not attached.`,
  tooManyDocuments: (most) => `A ballot names at most ${most} documents: the others are not attached.`,
  documentMissing: (name, sha) => `The bytes of ${name} (SHA-256 ${sha}) are not on this device: remove it from the draft, pick the file again and review; nothing was signed`,
  documentsTooLarge: (bytes, max) => `The announcement with its documents would be ${bytes} bytes, more than the server's ${max}: nothing was signed`,
  announced: (ballot, index, size, recipients) => `Ballot ${ballot} is announced: logged as entry ${index} of the group's log, covered by a signed checkpoint of ${size} entries, with a notification to each of the ${recipients} persons on the membership list.`,
  ballotPage: (ballot) => `Open the page of ballot ${ballot}.`,
  statementRefused: (detail) => `Nothing was logged. The server's reason: ${detail}.`,
  certified: (index, size) => `The result is certified: your certification is logged as entry ${index} of the group's log, covered by a signed checkpoint of ${size} entries.`,
  appealed: (index, size, id) => `Your appeal is logged as entry ${index} of the group's log (a signed checkpoint of ${size} entries covers it), with a notification to the chair. Its id: ${id}.`,
  decided: (index, size) => `Your decision is logged as entry ${index} of the group's log (a signed checkpoint of ${size} entries covers it), with a notification to the appellant.`,
  checkpointMismatch: 'The checkpoint the note names is not the one shown, signed by the pinned log key: nothing was signed',
  refusals: {
    'not-eligible': 'your organisation is not on this ballot\'s roll as eligible to vote',
    'outside-window': 'the ballot does not take votes now: its window has not opened yet, or has closed',
    'not-representative': 'you do not represent the organisation that the vote names',
    'not-on-membership-list': 'you are not on the group\'s membership list',
    'membership-ended': 'your organisation\'s membership has ended',
    'not-present': 'you are not recorded as physically present at the meeting',
    'unknown-question': 'the ballot has no such question',
    'bad-choice': 'this ballot does not allow that choice',
    'reasons-required': 'this choice must carry reasons: write them in the comments or reasons field',
    'malformed-note': 'the server could not read the signed vote',
    'wrong-origin': 'the vote names another log',
    'unknown-ballot': 'there is no such ballot, or it was cancelled',
    'token-mismatch': 'the vote is signed by someone other than you',
    'bad-signature': 'the signature does not verify under a key registered to you',
    'key-revoked': 'the key that signed is revoked, or not registered yet',
    replay: 'this vote\'s random nonce was already used in this ballot: review again and cast',
    unauthenticated: 'your session has ended: sign in again, then vote',
    forbidden: 'the server does not allow this',
    'rate-limited': 'too many attempts: wait a moment and try again',
    unavailable: 'the server cannot record votes right now: try again in a moment',
    'malformed-json': 'the server could not read the request',
  },
  noWebCrypto: 'This browser offers no Web Crypto here (it needs HTTPS or 127.0.0.1), so it cannot sign a vote.',
  noKey: 'No registered key of yours is remembered on this device: pick your key file, or import it on the keys page.',
  keyNotYours: (name, person) => `The key file is named ${name}, not after you (${person}).`,
  keyNotRegistered: (id) => `The key ${id} is not one of your registered keys in this group.`,
  keyUnusable: (why) => `The key file cannot be used: ${why}.`,
  nothingChosen: 'Choose an answer to at least one question, then review.',
  question: (q) => `Question ${q}`,
  signatureLine: (person, id) => `Then a blank line and your signature line: "— ${person} …", signed with key ${id}.`,
  attachment: (bytes, hash) => `With your comments or reasons: ${bytes} bytes of text, SHA-256 ${hash}.`,
  unanswered: 'Not answered: no vote is cast on this question. Use the change link to answer it, or sign and cast the others.',
  change: (q) => `Change the answer to question ${q}`,
  casting: (q) => `Signing and casting question ${q}…`,
  refused: (q, code) => `Question ${q}: the vote was not recorded: ${MESSAGES.refusals[code] || 'the server refused it'}.`,
  serverReason: (detail, code) => `The server's reason: ${detail} (${code}).`,
  refusalCode: (code) => `The server's refusal code: ${code}.`,
  notSent: (q) => `Question ${q}: the vote could not be sent`,
  recorded: (q, choice, index) => `Question ${q}: your vote "${choice}" is recorded as entry ${index} of the log.`,
  already: (q, index) => `Question ${q}: the server already held these exact bytes; this is their original receipt (entry ${index}).`,
  receiptOk: (size) => `Receipt verified in this browser: the entry commits to the SHA-256 of the exact bytes signed here, and it is included in the checkpoint of size ${size} signed by the pinned log key.`,
  receiptBad: (why) => `THE RECEIPT DOES NOT VERIFY: ${why}. The note and the receipt are kept on this device as evidence; tell your secretariat.`,
  superseded: (index) => `Your earlier vote on this question (entry ${index}) is superseded by this one.`,
  kept: 'Kept on this device. Download:',
  voteFile: (name) => `the vote, ${name}`,
  receiptFile: (name) => `the receipt, ${name}`,
  onDevice: 'Your votes on this ballot kept on this device (a new vote on a question supersedes the earlier one when it is recorded):',
  deviceLine: (q, choice, index, at) => `Question ${q}: "${choice}", entry ${index}, cast ${at}.`,
  counted: (q, choice, index) => `Question ${q}: your vote "${choice}" (entry ${index}) counted.`,
  supersededBy: (q, choice, index, by) => `Question ${q}: your vote "${choice}" (entry ${index}) was superseded by a later vote of your organisation, signed by ${by}; that one counted.`,
  notCounted: (q, choice, index) => `Question ${q}: your vote "${choice}" (entry ${index}) is not among the counted votes.`,
  noneKept: 'This browser holds no receipt of yours for this ballot.',
  unreadable: (why) => `The votes kept on this device cannot be read: ${why}.`,
};

// ---------------------------------------------------------------- bytes

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function equal(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Standard padded base64, refusing anything that does not re-encode to
// the same text (the formats use canonical base64 only).
function fromBase64(text) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Error(MESSAGES.notBase64);
  }
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  if (toBase64(bytes) !== text) throw new Error(MESSAGES.notBase64);
  return bytes;
}

function toBase64(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text);
}

function fromBase64Url(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(padded + '='.repeat((4 - (padded.length % 4)) % 4));
}

async function sha256(bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

// ----------------------------------------------------------------- keys

// PKCS#8 wrapping of a 32-byte Ed25519 seed (RFC 8410): the fixed prefix.
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const ED25519_TYPE = 0x01;

// C2SP signed-note key id: the first 4 bytes of
// SHA-256(name || 0x0A || 0x01 || public key), as 8 lowercase hex digits.
async function keyId(name, publicKey) {
  const hash = await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, ED25519_TYPE), publicKey));
  return hex(hash.subarray(0, 4));
}

function checkKeyName(name) {
  if (name.length === 0 || /[\s+\u0000-\u001f\u007f]/.test(name)) {
    throw new Error(MESSAGES.badKeyName);
  }
}

// PRIVATE+KEY+<name>+<8 hex id>+<base64(0x01 || seed)>. Only the leading
// fields are split off: the base64 may itself contain "+".
function parsePrivateKey(text) {
  const prefix = 'PRIVATE+KEY+';
  const trimmed = text.trim();
  if (!trimmed.startsWith(prefix)) throw new Error(MESSAGES.notPrivateKey);
  const rest = trimmed.slice(prefix.length);
  const nameEnd = rest.indexOf('+');
  if (nameEnd < 0) throw new Error(MESSAGES.keyNoName);
  const name = rest.slice(0, nameEnd);
  checkKeyName(name);
  const id = rest.slice(nameEnd + 1, nameEnd + 9);
  if (!/^[0-9a-f]{8}$/.test(id) || rest[nameEnd + 9] !== '+') throw new Error(MESSAGES.keyIdNotHex);
  const material = fromBase64(rest.slice(nameEnd + 10));
  if (material.length !== 33 || material[0] !== ED25519_TYPE) throw new Error(MESSAGES.notEd25519);
  return { name, id, seed: material.slice(1) };
}

// <name>+<8 hex id>+<base64(0x01 || public key)>, with the id checked.
async function parseVerifierKey(text) {
  const trimmed = text.trim();
  const nameEnd = trimmed.indexOf('+');
  if (nameEnd <= 0) throw new Error(MESSAGES.notVerifierKey);
  const name = trimmed.slice(0, nameEnd);
  checkKeyName(name);
  const id = trimmed.slice(nameEnd + 1, nameEnd + 9);
  if (!/^[0-9a-f]{8}$/.test(id) || trimmed[nameEnd + 9] !== '+') throw new Error(MESSAGES.keyIdNotHex);
  const material = fromBase64(trimmed.slice(nameEnd + 10));
  if (material.length !== 33 || material[0] !== ED25519_TYPE) throw new Error(MESSAGES.notEd25519);
  const publicKey = material.slice(1);
  if ((await keyId(name, publicKey)) !== id) throw new Error(MESSAGES.keyIdMismatch);
  const cryptoKey = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return { name, id, publicKey, cryptoKey, text: trimmed };
}

function verifierKeyText(name, id, publicKey) {
  return `${name}+${id}+${toBase64(concat(Uint8Array.of(ED25519_TYPE), publicKey))}`;
}

// WebCrypto cannot derive a public key from a private one: import the seed
// extractable, read the public key from its JWK, then import again as a
// non-extractable key and let the first one go.
async function importSeed(seed) {
  const pkcs8 = concat(PKCS8_ED25519_PREFIX, seed);
  const extractable = await subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await subtle.exportKey('jwk', extractable);
  const privateKey = await subtle.importKey(
    'jwk', { kty: 'OKP', crv: 'Ed25519', d: jwk.d, x: jwk.x }, { name: 'Ed25519' }, false, ['sign'],
  );
  pkcs8.fill(0);
  return { privateKey, publicKey: fromBase64Url(jwk.x) };
}

// A fingerprint to compare by eye: SHA-256 of the public key, in groups.
async function fingerprint(publicKey) {
  return hex(await sha256(publicKey)).slice(0, 32).match(/.{4}/g).join(' ');
}

// ------------------------------------------------------------ IndexedDB

// Version 2 added the receipts of votes cast in this browser, keyed by the
// SHA-256 of the signed note (hex); version 3 the documents a chair picked
// for an announcement, keyed by their SHA-256 (hex), until it is logged;
// version 4 the witnesses' keys pinned on first use, keyed by key name.
function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('scrutineer', 4);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('keys')) db.createObjectStore('keys', { keyPath: 'verifier' });
      if (!db.objectStoreNames.contains('logKeys')) db.createObjectStore('logKeys', { keyPath: 'origin' });
      if (!db.objectStoreNames.contains('receipts')) db.createObjectStore('receipts', { keyPath: 'note' });
      if (!db.objectStoreNames.contains('documents')) db.createObjectStore('documents', { keyPath: 'sha256' });
      if (!db.objectStoreNames.contains('witnessKeys')) db.createObjectStore('witnessKeys', { keyPath: 'name' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function store(name, mode, action) {
  const db = await openDatabase();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const request = action(tx.objectStore(name));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const remember = (record) => store('keys', 'readwrite', (s) => s.put(record));
const rememberedKeys = () => store('keys', 'readonly', (s) => s.getAll());
const pinnedLogKey = (origin) => store('logKeys', 'readonly', (s) => s.get(origin));
const pinLogKey = (record) => store('logKeys', 'readwrite', (s) => s.put(record));
const keepReceipt = (record) => store('receipts', 'readwrite', (s) => s.put(record));
const keptReceipts = () => store('receipts', 'readonly', (s) => s.getAll());
const keepDocument = (record) => store('documents', 'readwrite', (s) => s.put(record));
const keptDocument = (sha) => store('documents', 'readonly', (s) => s.get(sha));
const dropDocument = (sha) => store('documents', 'readwrite', (s) => s.delete(sha));
const pinnedWitnessKey = (name) => store('witnessKeys', 'readonly', (s) => s.get(name));
const pinWitnessKey = (record) => store('witnessKeys', 'readwrite', (s) => s.put(record));

// ------------------------------------------------------------- outcomes

// Renders an outcome: a heading sentence and a list of checks, each
// marked by a symbol and a word as well as a colour.
function show(region, lines) {
  region.replaceChildren();
  const list = document.createElement('ul');
  for (const { ok, note, text } of lines) {
    const item = document.createElement('li');
    if (note) {
      item.className = 'note';
      item.textContent = MESSAGES.noteLine(text);
    } else {
      item.className = ok ? 'pass' : 'fail';
      item.textContent = ok ? MESSAGES.passedLine(text) : MESSAGES.failedLine(text);
    }
    list.append(item);
  }
  region.append(list);
}

function say(region, text, ok = true) {
  const p = document.createElement('p');
  p.className = ok ? 'pass' : 'fail';
  p.textContent = text;
  region.replaceChildren(p);
}

function registeredIds() {
  return new Set(
    Array.from(document.querySelectorAll('[data-key-id]:not([data-revoked])'), (li) => li.dataset.keyId),
  );
}

// -------------------------------------------------------------- keys page

async function listDeviceKeys() {
  const region = document.getElementById('device-keys');
  const person = document.getElementById('import-form').dataset.person;
  const keys = (await rememberedKeys()).filter((k) => k.name === person);
  if (keys.length === 0) return;
  const registered = registeredIds();
  const list = document.createElement('ul');
  for (const k of keys) {
    const item = document.createElement('li');
    item.textContent = MESSAGES.deviceKey(k.id, registered.has(k.id), k.fingerprint, k.added);
    list.append(item);
  }
  region.replaceChildren(list);
}

async function importKey(event) {
  event.preventDefault();
  const status = document.getElementById('import-status');
  const person = event.target.dataset.person;
  try {
    const file = document.getElementById('key-file').files[0];
    const text = file ? await file.text() : document.getElementById('key-text').value;
    if (!text.trim()) throw new Error(MESSAGES.noKeyGiven);
    const parsed = parsePrivateKey(text);
    const { privateKey, publicKey } = await importSeed(parsed.seed);
    parsed.seed.fill(0);
    const id = await keyId(parsed.name, publicKey);
    if (id !== parsed.id) throw new Error(MESSAGES.keyIdInFile);
    if (parsed.name !== person) throw new Error(MESSAGES.keyNamedOther(parsed.name, person));
    const print = await fingerprint(publicKey);
    const registered = registeredIds().has(id);
    if (document.getElementById('remember').checked) {
      await remember({
        verifier: verifierKeyText(parsed.name, id, publicKey), name: parsed.name, id,
        fingerprint: print, privateKey, added: new Date().toISOString().slice(0, 19) + 'Z',
      });
      await listDeviceKeys();
    }
    document.getElementById('key-text').value = '';
    show(status, [
      { ok: true, text: MESSAGES.keyImported(id, print) },
      { ok: registered, text: MESSAGES.keyRegistered(registered) },
    ]);
    if (!registered) document.getElementById('verifier-key').value = verifierKeyText(parsed.name, id, publicKey);
  } catch (error) {
    say(status, MESSAGES.keyNotUsed(error.message), false);
  }
}

async function generateKey() {
  const status = document.getElementById('generate-status');
  const person = document.getElementById('import-form').dataset.person;
  try {
    const pair = await subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
    const id = await keyId(person, publicKey);
    const verifier = verifierKeyText(person, id, publicKey);
    const print = await fingerprint(publicKey);
    await remember({
      verifier, name: person, id, fingerprint: print, privateKey: pair.privateKey,
      added: new Date().toISOString().slice(0, 19) + 'Z',
    });
    await listDeviceKeys();
    document.getElementById('verifier-key').value = verifier;
    say(status, MESSAGES.keyMade(id, print));
  } catch (error) {
    say(status, MESSAGES.keyNotMade(error.message), false);
  }
}

// --------------------------------------------------------------- receipts

// A C2SP signed note: the text (up to and including the last line before
// the blank line) and its signature lines, each with its key name, key id
// and the bytes after the id (an Ed25519 signature, or a witness's
// timestamped cosignature: signature lines of other kinds are kept, and
// only checked by whoever knows their key).
function parseNote(text) {
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n')) throw new Error(MESSAGES.notSignedNote);
  const body = text.slice(0, split + 1);
  const signatures = text.slice(split + 2, -1).split('\n').map((line) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(MESSAGES.signatureLineMalformed);
    const bytes = fromBase64(m[2]);
    if (bytes.length < 5) throw new Error(MESSAGES.signatureLineShort);
    return { name: m[1], id: hex(bytes.subarray(0, 4)), signature: bytes.subarray(4) };
  });
  return { body, signatures };
}

// A checkpoint verified under `key`: origin, size, root.
async function verifyCheckpoint(text, key) {
  const { body, signatures } = parseNote(text);
  const lines = body.split('\n');
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText || '')) throw new Error(MESSAGES.checkpointSizeMalformed);
  const root = fromBase64(rootText || '');
  if (root.length !== 32) throw new Error(MESSAGES.checkpointRootMalformed);
  const mine = signatures.find((s) => s.name === key.name && s.id === key.id);
  if (!mine) throw new Error(MESSAGES.checkpointNotSigned);
  if (mine.signature.length !== 64) throw new Error(MESSAGES.signatureLength);
  const ok = await subtle.verify({ name: 'Ed25519' }, key.cryptoKey, mine.signature, encoder.encode(body));
  if (!ok) throw new Error(MESSAGES.checkpointSignatureBad);
  return { origin, size: BigInt(sizeText), root };
}

function parseReceipt(text) {
  const split = text.indexOf('\n\n');
  if (split < 0) throw new Error(MESSAGES.receiptNoCheckpoint);
  const lines = text.slice(0, split).split('\n');
  if (lines.shift() !== 'c2sp.org/tlog-proof@v1') throw new Error(MESSAGES.notReceipt);
  let extra = null;
  if (lines[0] && lines[0].startsWith('extra ')) extra = fromBase64(lines.shift().slice(6));
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines.shift() || '');
  if (!index) throw new Error(MESSAGES.receiptNoIndex);
  const proof = lines.map((line) => {
    const hash = fromBase64(line);
    if (hash.length !== 32) throw new Error(MESSAGES.proofLineMalformed);
    return hash;
  });
  return { extra, index: BigInt(index[1]), proof, checkpoint: text.slice(split + 2) };
}

const leafHash = (entry) => sha256(concat(Uint8Array.of(0x00), entry));
const nodeHash = (left, right) => sha256(concat(Uint8Array.of(0x01), left, right));

// RFC 9162 section 2.1.3.2.
async function verifyInclusion(index, size, leaf, proof, root) {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1n;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

// RFC 9162 section 2.1.4.2, for 0 < first <= second.
async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (first === 0n || first > second || proof.length === 0) return false;
  const path = (first & (first - 1n)) === 0n ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) { fn >>= 1n; sn >>= 1n; }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(fr, firstRoot) && equal(sr, secondRoot);
}

async function fetchText(path) {
  const response = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) throw new Error(MESSAGES.answered(path, response.status));
  return response.text();
}

// The group's log key, pinned on first use. A different key later is an
// error, never a silent update.
async function logKey(origin, group, lines) {
  const served = (await fetchText(`/log-keys/${encodeURIComponent(group)}`)).trim();
  const pinned = await pinnedLogKey(origin);
  if (pinned && pinned.verifier !== served) {
    lines.push({ ok: false, text: MESSAGES.logKeyChanged(pinned.verifier, origin, served) });
  }
  const key = await parseVerifierKey(pinned ? pinned.verifier : served);
  if (key.name !== origin) throw new Error(MESSAGES.logKeyMisnamed);
  const print = await fingerprint(key.publicKey);
  if (!pinned) {
    await pinLogKey({ origin, verifier: served, fingerprint: print });
    lines.push({ ok: true, text: MESSAGES.logKeyPinned(origin, print) });
  } else if (pinned.verifier === served) {
    lines.push({ ok: true, text: MESSAGES.logKeySame(origin, print) });
  }
  return key;
}

async function checkReceipt(event) {
  event.preventDefault();
  const region = document.getElementById('check-result');
  const error = document.getElementById('receipt-error');
  const lines = [];
  error.hidden = true;
  document.getElementById('receipt-file').removeAttribute('aria-invalid');
  const receiptFile = document.getElementById('receipt-file').files[0];
  if (!receiptFile) {
    error.textContent = MESSAGES.noReceiptFile;
    error.hidden = false;
    document.getElementById('receipt-file').setAttribute('aria-invalid', 'true');
    return;
  }
  say(region, MESSAGES.checking);
  try {
    const receipt = parseReceipt(decoder.decode(new Uint8Array(await receiptFile.arrayBuffer())));
    if (!receipt.extra) throw new Error(MESSAGES.receiptNoEntry);
    const origin = receipt.checkpoint.split('\n', 1)[0];
    const group = origin.slice(origin.lastIndexOf('/') + 1);
    const key = await logKey(origin, group, lines);
    const checkpoint = await verifyCheckpoint(receipt.checkpoint, key);
    lines.push({ ok: true, text: MESSAGES.checkpointSigned(checkpoint.size) });
    const included = await verifyInclusion(receipt.index, checkpoint.size, await leafHash(receipt.extra), receipt.proof, checkpoint.root);
    lines.push({ ok: included, text: MESSAGES.entryIncluded(receipt.index, included) });
    const entry = decoder.decode(receipt.extra);
    const ballot = (/\nballot (\S+)\n/.exec(entry) || [])[1] || '<ballot>';
    const committed = (/\nnote sha256:([0-9a-f]{64})\n/.exec(entry) || [])[1];
    const voteFile = document.getElementById('vote-file').files[0];
    if (voteFile) {
      const digest = hex(await sha256(new Uint8Array(await voteFile.arrayBuffer())));
      const ok = committed === digest;
      lines.push({ ok, text: MESSAGES.voteFileCommitted(ok) });
    } else if (committed) {
      lines.push({ ok: true, text: MESSAGES.noteCommitted(committed) });
    }
    const currentText = await fetchText(`/v1/groups/${encodeURIComponent(group)}/log/checkpoint`);
    const current = await verifyCheckpoint(currentText, key);
    let consistent = current.origin === origin && current.size >= checkpoint.size;
    if (consistent && current.size > checkpoint.size) {
      const answer = JSON.parse(await fetchText(
        `/v1/groups/${encodeURIComponent(group)}/log/proof/consistency?old=${checkpoint.size}&new=${current.size}`,
      ));
      consistent = await verifyConsistency(checkpoint.size, current.size, checkpoint.root, current.root, answer.proof.map(fromBase64));
    } else if (consistent) {
      consistent = equal(current.root, checkpoint.root);
    }
    lines.push({ ok: consistent, text: MESSAGES.consistent(current.size, consistent) });
    await checkCosignatures(lines, receipt.checkpoint, checkpoint, currentText, current);
    show(region, lines);
    const verdict = document.createElement('p');
    const passed = lines.every((l) => l.ok);
    verdict.className = passed ? 'pass' : 'fail';
    verdict.textContent = MESSAGES.receiptVerdict(passed);
    region.prepend(verdict);
    const audit = document.createElement('p');
    const ballotPage = document.createElement('a');
    ballotPage.href = `/groups/${encodeURIComponent(group)}/ballots/${encodeURIComponent(ballot)}`;
    ballotPage.textContent = MESSAGES.ballotPageLink;
    const link = document.createElement('a');
    link.href = `/v1/groups/${encodeURIComponent(group)}/ballots/${encodeURIComponent(ballot)}/bundle`;
    link.textContent = MESSAGES.auditBundle;
    const command = document.createElement('code');
    command.textContent = `scrutineer verify ${ballot}.tar --log-key log.vkey --receipt ${receiptFile.name}`;
    audit.append(...MESSAGES.audit(ballotPage, link, command));
    region.append(audit);
  } catch (problem) {
    lines.push({ ok: false, text: MESSAGES.sentence(problem.message) });
    show(region, lines);
    const verdict = document.createElement('p');
    verdict.className = 'fail';
    verdict.textContent = MESSAGES.receiptVerdict(false);
    region.prepend(verdict);
  }
}

// ------------------------------------------------------------- witnesses

// C2SP tlog-cosignature: a witness's key is <name>+<id>+base64(0x04 ||
// Ed25519 key), its id computed with the type byte 0x04; its line on a
// checkpoint carries that id, then an 8-byte big-endian timestamp (POSIX
// seconds) and an Ed25519 signature over "cosignature/v1\ntime <t>\n"
// followed by the checkpoint's text.
const COSIGNATURE_TYPE = 0x04;

async function parseWitnessKey(text) {
  const nameEnd = text.indexOf('+');
  if (nameEnd <= 0) throw new Error(MESSAGES.notWitnessKey);
  const name = text.slice(0, nameEnd);
  checkKeyName(name);
  const id = text.slice(nameEnd + 1, nameEnd + 9);
  if (!/^[0-9a-f]{8}$/.test(id) || text[nameEnd + 9] !== '+') throw new Error(MESSAGES.witnessKeyIdNotHex);
  const material = fromBase64(text.slice(nameEnd + 10));
  if (material.length !== 33 || material[0] !== COSIGNATURE_TYPE) throw new Error(MESSAGES.witnessKeyNotEd25519);
  const publicKey = material.slice(1);
  const digest = await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, COSIGNATURE_TYPE), publicKey));
  if (hex(digest.subarray(0, 4)) !== id) throw new Error(MESSAGES.witnessKeyIdMismatch);
  const cryptoKey = await subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
  return { name, id, publicKey, cryptoKey, text };
}

// The witnesses the server asks, its groups and its quorum (C2SP
// tlog-policy, as `GET /witness-policy` serves it), or null when it asks
// none (204). The keys come from the server: their fingerprints are shown
// so that the person can compare them with those the secretariat
// publishes.
async function serverWitnessPolicy() {
  const response = await fetch('/witness-policy', { credentials: 'same-origin', cache: 'no-store' });
  if (response.status === 204) return null;
  if (!response.ok) throw new Error(MESSAGES.answered('/witness-policy', response.status));
  const text = await response.text();
  const names = new Map();
  const witnesses = [];
  const groups = [];
  let quorum = null;
  for (const line of text.split('\n')) {
    const items = line.trim().split(/[ \t]+/).filter((item) => item.length > 0);
    if (items.length === 0 || items[0].startsWith('#')) continue;
    if (items[0] === 'witness' && items.length >= 3) {
      names.set(items[1], { witness: witnesses.length });
      witnesses.push({ name: items[1], key: await parseWitnessKey(items[2]) });
    } else if (items[0] === 'group' && items.length >= 4) {
      const members = items.slice(3).map((name) => {
        if (!names.has(name)) throw new Error(MESSAGES.policyUnknownMember(items[1], name));
        return names.get(name);
      });
      const threshold = items[2] === 'all' ? members.length : items[2] === 'any' ? 1 : Number(items[2]);
      if (!Number.isInteger(threshold) || threshold < 1 || threshold > members.length) throw new Error(MESSAGES.policyBadThreshold(items[1]));
      names.set(items[1], { group: groups.length });
      groups.push({ name: items[1], threshold, members });
    } else if (items[0] === 'quorum' && items.length === 2) {
      quorum = items[1] === 'none' ? 'none' : names.get(items[1]);
      if (!quorum) throw new Error(MESSAGES.policyUnknownQuorum(items[1]));
    } else if (items[0] !== 'log') {
      throw new Error(MESSAGES.policyUnreadable);
    }
  }
  if (!quorum) throw new Error(MESSAGES.policyNoQuorum);
  for (const w of witnesses) w.fingerprint = await fingerprint(w.key.publicKey);
  return { witnesses, groups, quorum };
}

// Each policy witness's timestamp (seconds, a BigInt) on a checkpoint, or
// null if it has no line there; a line of a listed witness that does not
// verify is an error (signed-note: a known key's signature must verify).
async function cosignatureTimes(checkpointText, policy) {
  const { body, signatures } = parseNote(checkpointText);
  return Promise.all(policy.witnesses.map(async ({ name, key }) => {
    const line = signatures.find((s) => s.name === key.name && s.id === key.id);
    if (!line) return null;
    if (line.signature.length !== 8 + 64) throw new Error(MESSAGES.cosignatureLength(name));
    const time = new DataView(line.signature.buffer, line.signature.byteOffset, 8).getBigUint64(0);
    const message = encoder.encode(`cosignature/v1\ntime ${time}\n${body}`);
    const ok = await subtle.verify({ name: 'Ed25519' }, key.cryptoKey, line.signature.subarray(8), message);
    if (!ok) throw new Error(MESSAGES.cosignatureBad(name, key.name));
    return time;
  }));
}

// Whether the policy's quorum is met by the witnesses that cosigned
// (`times` parallel to the policy's witnesses): groups in order, each met
// when at least its threshold of members are.
function quorumMet(policy, times) {
  if (policy.quorum === 'none') return true;
  const groupMet = [];
  const met = (member) => ('witness' in member ? times[member.witness] !== null : groupMet[member.group]);
  for (const group of policy.groups) {
    groupMet.push(group.members.filter(met).length >= group.threshold);
  }
  return met(policy.quorum);
}

const secondsText = (time) => new Date(Number(time) * 1000).toISOString().replace('.000Z', 'Z');

// The cosignatures on the receipt's checkpoint (if it carries any) and on
// the log's current one, verified under the server's witness policy:
// which witness cosigned which checkpoint at what time, and whether the
// quorum has cosigned. A checkpoint without the quorum is said, not
// failed: witnesses cosign a few seconds after the server signs, and the
// current checkpoint, consistent with the receipt's, contains its entry.
async function checkCosignatures(lines, receiptText, receiptCheckpoint, currentText, current) {
  const policy = await serverWitnessPolicy();
  if (!policy) return;
  await pinWitnessKeys(lines, policy);
  const names = policy.witnesses.map((w) => MESSAGES.witnessName(w.name, w.key.name, w.fingerprint)).join('; ');
  lines.push({ note: true, ok: true, text: MESSAGES.witnessesNamed(policy.witnesses.length, names) });
  const checkpoints = [];
  if (parseNote(receiptText).signatures.length > 1) checkpoints.push({ text: receiptText, what: MESSAGES.receiptCheckpoint(receiptCheckpoint.size) });
  checkpoints.push({ text: currentText, what: MESSAGES.currentCheckpoint(current.size) });
  for (const { text, what } of checkpoints) {
    const times = await cosignatureTimes(text, policy);
    policy.witnesses.forEach(({ name, key }, i) => {
      lines.push(times[i] === null
        ? { note: true, ok: true, text: MESSAGES.notCosigned(name, key.name, what) }
        : { ok: true, text: MESSAGES.cosigned(name, key.name, what, secondsText(times[i])) });
    });
    lines.push(quorumMet(policy, times)
      ? { ok: true, text: MESSAGES.quorumCosigned(what) }
      : { note: true, ok: true, text: MESSAGES.quorumNotYet(what) });
  }
}

// Each witness's key, pinned on this device the first time the page sees
// it (by the key's name, the witness's identity), as the log key is: a
// key the server later names differently is a loud failure, and the
// cosignatures are then checked under the pinned key, never the new one.
async function pinWitnessKeys(lines, policy) {
  for (const w of policy.witnesses) {
    const pinned = await pinnedWitnessKey(w.key.name);
    if (!pinned) {
      await pinWitnessKey({ name: w.key.name, verifier: w.key.text, fingerprint: w.fingerprint });
      lines.push({ ok: true, text: MESSAGES.witnessKeyPinned(w.key.name, w.fingerprint) });
    } else if (pinned.verifier !== w.key.text) {
      lines.push({ ok: false, text: MESSAGES.witnessKeyChanged(w.key.name, pinned.verifier, w.key.text) });
      w.key = await parseWitnessKey(pinned.verifier);
      w.fingerprint = pinned.fingerprint;
    }
  }
}

// ------------------------------------------------------------------ votes


function fromHex(text) {
  return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
}

// The text of a vote note, exactly as SPEC section 4 and src/vote.rs
// (`VoteNote::text`) write it: these lines, in this order, each ending in
// "\n"; `attachment` (64 lowercase hex digits) only when there is one.
function voteNoteText({ origin, ballot, question, organisation, choice, attachment, nonce }) {
  if (nonce.length !== 16) throw new Error(MESSAGES.nonceLength);
  if (attachment !== undefined && attachment !== null && !/^[0-9a-f]{64}$/.test(attachment)) {
    throw new Error(MESSAGES.attachmentName);
  }
  let text = 'scrutineer/vote/v1\n'
    + `origin ${origin}\n`
    + `ballot ${ballot}\n`
    + `question ${question}\n`
    + `organisation ${organisation}\n`
    + `choice ${choice}\n`;
  if (attachment) text += `attachment sha256:${attachment}\n`;
  text += `nonce ${toBase64(nonce)}\n`;
  return text;
}

// A C2SP signed note with one Ed25519 signature line: the text, a blank
// line, then "— <name> base64(key id (4 bytes) || signature)".
async function signNote(text, signer) {
  const signature = new Uint8Array(await subtle.sign({ name: 'Ed25519' }, signer.privateKey, encoder.encode(text)));
  return `${text}\n\u2014 ${signer.name} ${toBase64(concat(fromHex(signer.id), signature))}\n`;
}

// RFC 3339 UTC with exactly six fractional digits, as entries carry it.
const ENTRY_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

// Checks that `entry` is exactly the vote entry that commits to `signed`
// (the bytes signed here), as `scrutineer vote` checks it
// (src/cli/receipt.rs, `check_commitment`): type vote, the note's ballot,
// the SHA-256 of the exact bytes, no other line, no body.
async function checkCommitment(entry, signed, ballot) {
  const text = decoder.decode(entry);
  const time = (/^scrutineer\/entry\/v1\ntype vote\ntime ([^\n]*)\n/.exec(text) || [])[1];
  if (!time || !ENTRY_TIME.test(time)) throw new Error(MESSAGES.notVoteEntry);
  const expected = 'scrutineer/entry/v1\ntype vote\n'
    + `time ${time}\nballot ${ballot}\nnote sha256:${hex(await sha256(signed))}\n\n`;
  if (!equal(entry, encoder.encode(expected))) {
    throw new Error(MESSAGES.entryNotCommitted);
  }
}

// Verifies a vote's receipt as `scrutineer vote` does (src/cli/vote.rs,
// `verify_receipt`): the entry commits to the signed bytes, the receipt is
// for the index the server announced, and the entry is included in a
// checkpoint of this log signed by the (pinned) log key.
async function verifyVoteReceipt(answer, signed, ballot, origin, key) {
  const receipt = parseReceipt(answer.receipt);
  if (!receipt.extra) throw new Error(MESSAGES.receiptNoExtra);
  await checkCommitment(receipt.extra, signed, ballot);
  if (receipt.index !== BigInt(answer.index)) {
    throw new Error(MESSAGES.receiptOtherIndex(receipt.index, answer.index));
  }
  const checkpoint = await verifyCheckpoint(receipt.checkpoint, key);
  if (checkpoint.origin !== origin) throw new Error(MESSAGES.receiptOtherLog);
  const included = await verifyInclusion(receipt.index, checkpoint.size, await leafHash(receipt.extra), receipt.proof, checkpoint.root);
  if (!included) throw new Error(MESSAGES.notIncluded);
  return checkpoint;
}

// The file names `scrutineer vote` writes: <ballot>-<question>-<organisation>.
const fileStem = (r) => `${r.ballot}-${r.question}-${r.organisation}`;

function downloadLinks(record) {
  const p = document.createElement('p');
  p.className = 'downloads';
  p.append(MESSAGES.kept, ' ');
  const files = [
    [`${fileStem(record)}.vote`, record.signed, MESSAGES.voteFile],
    [`${fileStem(record)}.tlog-proof`, record.receipt, MESSAGES.receiptFile],
  ];
  for (const [name, text, label] of files) {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([encoder.encode(text)], { type: 'text/plain' }));
    link.download = name;
    link.textContent = label(name);
    p.append(link, ' ');
  }
  return p;
}

function line(text, ok) {
  const item = document.createElement('li');
  if (ok !== undefined) item.className = ok ? 'pass' : 'fail';
  item.textContent = text;
  return item;
}

// The key to sign with: a key file picked on the form (imported as a
// non-extractable key and let go after the vote), or a key remembered on
// this device; either way named after the person and registered now.
async function signingKey(section, input = document.getElementById('vote-key-file')) {
  const person = section.dataset.person;
  const registered = new Set(Array.from(section.querySelectorAll('[data-vote-key]'), (e) => e.dataset.voteKey));
  const file = input.files[0];
  if (file) {
    let parsed;
    let imported;
    try {
      parsed = parsePrivateKey(await file.text());
      imported = await importSeed(parsed.seed);
      parsed.seed.fill(0);
    } catch (error) {
      throw new Error(MESSAGES.keyUnusable(error.message));
    }
    const id = await keyId(parsed.name, imported.publicKey);
    if (id !== parsed.id) throw new Error(MESSAGES.keyUnusable(MESSAGES.keyIdInFile));
    if (parsed.name !== person) throw new Error(MESSAGES.keyNotYours(parsed.name, person));
    if (!registered.has(id)) throw new Error(MESSAGES.keyNotRegistered(id));
    return { name: person, id, privateKey: imported.privateKey };
  }
  const remembered = (await rememberedKeys()).filter((k) => k.name === person && registered.has(k.id));
  if (remembered.length === 0) throw new Error(MESSAGES.noKey);
  remembered.sort((a, b) => (a.added < b.added ? 1 : -1));
  return { name: person, id: remembered[0].id, privateKey: remembered[0].privateKey };
}

// What the vote steps hold between review and cast: the exact texts shown.
let pendingVote = null;

function showError(region, texts) {
  region.replaceChildren(...texts.map((t) => { const p = document.createElement('p'); p.textContent = t; return p; }));
  region.hidden = false;
}

function backToChoices(section, question) {
  document.getElementById('vote-review').hidden = true;
  const form = document.getElementById('vote-form');
  form.hidden = false;
  pendingVote = null;
  const fieldset = question ? document.getElementById(`q-${question}`) : form.querySelector('fieldset');
  const target = fieldset && (fieldset.querySelector('input:checked') || fieldset.querySelector('input, textarea'));
  if (target) target.focus();
}

async function reviewVote(event, section) {
  event.preventDefault();
  const form = event.target;
  const keyError = document.getElementById('vote-key-error');
  const keyInput = document.getElementById('vote-key-file');
  const error = document.getElementById('vote-error');
  keyError.hidden = true;
  keyInput.removeAttribute('aria-invalid');
  error.hidden = true;
  const questions = Array.from(form.querySelectorAll('fieldset[data-question]'), (f) => {
    const question = f.dataset.question;
    const checked = f.querySelector('input[type="radio"]:checked');
    const comments = f.querySelector('textarea');
    return { question, choice: checked ? checked.value : null, comments: comments ? comments.value : '' };
  });
  if (questions.every((q) => !q.choice)) {
    showError(error, [MESSAGES.nothingChosen]);
    form.querySelector('input[type="radio"]').focus();
    return;
  }
  let signer;
  try {
    signer = await signingKey(section);
  } catch (problem) {
    keyError.textContent = MESSAGES.errorLine(problem.message);
    keyError.hidden = false;
    keyInput.setAttribute('aria-invalid', 'true');
    keyInput.focus();
    return;
  }
  const { origin, ballot, organisation, person } = section.dataset;
  const notes = [];
  const review = document.getElementById('review-notes');
  review.replaceChildren();
  for (const q of questions) {
    const block = document.createElement('div');
    block.className = 'review-note';
    const heading = document.createElement('h4');
    heading.textContent = MESSAGES.question(q.question);
    block.append(heading);
    if (q.choice) {
      const attachment = q.comments.length > 0 ? encoder.encode(q.comments) : null;
      const hash = attachment ? hex(await sha256(attachment)) : null;
      const nonce = crypto.getRandomValues(new Uint8Array(16));
      const text = voteNoteText({ origin, ballot, question: q.question, organisation, choice: q.choice, attachment: hash, nonce });
      notes.push({ question: q.question, choice: q.choice, text, attachment: attachment ? q.comments : null });
      const pre = document.createElement('pre');
      pre.className = 'note';
      pre.textContent = text;
      const signature = document.createElement('p');
      signature.className = 'hint';
      signature.textContent = MESSAGES.signatureLine(person, signer.id);
      block.append(pre, signature);
      if (hash) {
        const about = document.createElement('p');
        about.textContent = MESSAGES.attachment(attachment.length, hash);
        block.append(about);
      }
    } else {
      const warning = document.createElement('p');
      warning.className = 'field-error';
      warning.textContent = MESSAGES.unanswered;
      block.append(warning);
    }
    const change = document.createElement('a');
    change.href = `#q-${q.question}`;
    change.textContent = MESSAGES.change(q.question);
    change.addEventListener('click', (e) => { e.preventDefault(); backToChoices(section, q.question); });
    block.append(change);
    review.append(block);
  }
  pendingVote = { signer, notes };
  form.hidden = true;
  const reviewSection = document.getElementById('vote-review');
  reviewSection.hidden = false;
  reviewSection.focus();
}

// The earlier votes of this ballot kept on this device, by question.
async function earlierVotes(group, ballot) {
  const all = await keptReceipts();
  return all.filter((r) => r.group === group && r.ballot === ballot);
}

async function castVote(section) {
  if (!pendingVote) return;
  const { signer, notes } = pendingVote;
  const { origin, group, ballot, organisation } = section.dataset;
  const csrf = document.querySelector('#vote-form input[name="csrf"]').value;
  const error = document.getElementById('vote-error');
  const outcome = document.getElementById('vote-outcome');
  const button = document.getElementById('cast-vote');
  error.hidden = true;
  button.disabled = true;
  // Busy until every question's outcome, receipt check and files are
  // shown: assistive technology (and the browser tests) wait for the whole.
  outcome.setAttribute('aria-busy', 'true');
  const list = document.createElement('ul');
  outcome.replaceChildren(list);
  const pinning = [];
  try {
    const key = await logKey(origin, group, pinning);
    for (const p of pinning) list.append(line(p.text, p.ok));
    const earlier = await earlierVotes(group, ballot);
    for (const note of notes) {
      const signed = await signNote(note.text, signer);
      const bytes = encoder.encode(signed);
      const body = { note: signed };
      if (note.attachment !== null) body.attachment = note.attachment;
      let response;
      try {
        response = await fetch(`/groups/${encodeURIComponent(group)}/ballots/${encodeURIComponent(ballot)}/vote`, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
          body: JSON.stringify(body),
        });
      } catch (problem) {
        showError(error, [`${MESSAGES.notSent(note.question)}: ${problem.message}.`]);
        return;
      }
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        const code = String(answer.type || '').split(':').pop() || String(response.status);
        const detail = answer.detail || response.statusText;
        showError(error, detail && detail !== code
          ? [MESSAGES.refused(note.question, code), MESSAGES.serverReason(detail, code)]
          : [MESSAGES.refused(note.question, code), MESSAGES.refusalCode(code)]);
        return;
      }
      const record = {
        note: hex(await sha256(bytes)), origin, group, ballot, question: note.question, organisation,
        choice: note.choice, index: answer.index, signed, receipt: answer.receipt,
        cast: new Date().toISOString().slice(0, 19) + 'Z', verified: false,
      };
      list.append(line(response.status === 200
        ? MESSAGES.already(note.question, answer.index)
        : MESSAGES.recorded(note.question, note.choice, answer.index), true));
      try {
        const checkpoint = await verifyVoteReceipt(answer, bytes, ballot, origin, key);
        record.verified = true;
        list.append(line(MESSAGES.receiptOk(checkpoint.size), true));
      } catch (problem) {
        list.append(line(MESSAGES.receiptBad(problem.message), false));
      }
      for (const before of earlier.filter((r) => r.question === note.question && r.note !== record.note)) {
        list.append(line(MESSAGES.superseded(before.index)));
      }
      await keepReceipt(record);
      const item = document.createElement('li');
      item.append(downloadLinks(record));
      list.append(item);
    }
    backToChoices(section, null);
    outcome.focus();
  } catch (problem) {
    showError(error, [`${problem.message}.`]);
  } finally {
    outcome.removeAttribute('aria-busy');
    button.disabled = false;
  }
}

// On an open ballot: the votes of this ballot kept on this device.
async function listEarlierVotes(section) {
  const { group, ballot } = section.dataset;
  const kept = await earlierVotes(group, ballot);
  if (kept.length === 0) return;
  const outcome = document.getElementById('vote-outcome');
  const intro = document.createElement('p');
  intro.textContent = MESSAGES.onDevice;
  const list = document.createElement('ul');
  for (const r of kept.sort((a, b) => a.index - b.index)) {
    const item = line(MESSAGES.deviceLine(r.question, r.choice, r.index, r.cast));
    item.append(downloadLinks(r));
    list.append(item);
  }
  outcome.replaceChildren(intro, list);
}

// After the tally: for each vote kept on this device, whether it counted
// or which later vote of the organisation superseded it (the counted
// list names each counted note by its SHA-256, as the API does).
async function showCounted(section) {
  const region = document.getElementById('my-votes-status');
  const { group, ballot } = section.dataset;
  const kept = await earlierVotes(group, ballot);
  if (kept.length === 0) {
    say(region, MESSAGES.noneKept);
    return;
  }
  const rows = Array.from(document.querySelectorAll('#counted tr[data-note]'));
  const list = document.createElement('ul');
  for (const r of kept.sort((a, b) => a.index - b.index)) {
    let item;
    if (rows.some((row) => row.dataset.note === `sha256:${r.note}`)) {
      item = line(MESSAGES.counted(r.question, r.choice, r.index), true);
    } else {
      const slot = rows.find((row) => row.dataset.organisation === r.organisation && row.dataset.question === r.question);
      item = slot
        ? line(MESSAGES.supersededBy(r.question, r.choice, r.index, slot.cells[3].textContent))
        : line(MESSAGES.notCounted(r.question, r.choice, r.index));
    }
    item.append(downloadLinks(r));
    list.append(item);
  }
  region.replaceChildren(list);
}

function startVote(section) {
  document.getElementById('vote-form').addEventListener('submit', (e) => reviewVote(e, section));
  document.getElementById('change-vote').addEventListener('click', () => backToChoices(section, null));
  document.getElementById('cast-vote').addEventListener('click', () => castVote(section));
  document.getElementById('vote-outcome').tabIndex = -1;
  listEarlierVotes(section).catch((e) => say(document.getElementById('vote-outcome'), MESSAGES.unreadable(e.message), false));
}

// ---------------------------------------------------------------- wiring

// Every time the page gives in UTC, with the reader's local time beside it
// (SPEC section 8: dates in ISO 8601 UTC with the user's local time).
// Without JavaScript the UTC time stands alone.
function showLocalTimes(root = document) {
  const format = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  for (const time of root.querySelectorAll('time[datetime]')) {
    const instant = new Date(time.getAttribute('datetime'));
    if (Number.isNaN(instant.getTime())) continue;
    const local = document.createElement('span');
    local.className = 'local-time';
    local.textContent = MESSAGES.localTime(format.format(instant));
    time.after(local);
  }
}

// The secretariat's attendance import: a picked registration export is
// read into the form's text box, where it can be checked before it is
// sent; the form itself works without this, by pasting.
function startCsvImport(form) {
  const field = document.getElementById('import-file-field');
  const file = document.getElementById('import-file');
  const text = document.getElementById('import-csv');
  field.hidden = false;
  file.addEventListener('change', async () => {
    if (file.files.length === 0) return;
    text.value = await file.files[0].text();
    text.focus();
  });
}

// The chair's announcement: the exact note the server showed (the page's
// text, unchanged) signed with the chair's key and sent as signed; the
// answer names the log entry.
async function announce(section) {
  const error = document.getElementById('announce-error');
  const outcome = document.getElementById('announce-outcome');
  const button = document.getElementById('sign-announce');
  const csrf = document.querySelector('.who input[name="csrf"]').value;
  const text = document.getElementById('announcement-note').textContent;
  error.hidden = true;
  button.disabled = true;
  outcome.setAttribute('aria-busy', 'true');
  try {
    const documents = await announcedDocuments(section, text);
    const signer = await signingKey(section, document.getElementById('announce-key-file'));
    const signed = await signNote(text, signer);
    const body = JSON.stringify({ announcement: signed, documents: documents.map((d) => d.base64) });
    const max = Number(section.dataset.maxUpload);
    if (body.length > max) throw new Error(MESSAGES.documentsTooLarge(body.length, max));
    const response = await fetch(`/groups/${encodeURIComponent(section.dataset.group)}/announce/signed`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body,
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError(error, [MESSAGES.announceRefused(answer.detail || response.statusText)]);
      return;
    }
    const link = document.createElement('a');
    link.href = `/groups/${encodeURIComponent(section.dataset.group)}/ballots/${encodeURIComponent(answer.ballot)}`;
    link.textContent = MESSAGES.ballotPage(answer.ballot);
    const p = document.createElement('p');
    p.append(MESSAGES.announced(answer.ballot, answer.index, answer.size, answer.recipients), ' ', link);
    outcome.replaceChildren(p);
    button.hidden = true;
    // Logged and stored beside the log: this device need not keep them.
    await Promise.all(documents.map((d) => dropDocument(d.sha256).catch(() => {})));
    outcome.focus();
  } catch (problem) {
    showError(error, [`${problem.message}.`]);
  } finally {
    button.disabled = false;
    outcome.removeAttribute('aria-busy');
  }
}

// ------------------------------------------- announcement: the dates

// The notice rule while the chair types: a moment after the kind or a date
// changes, the draft is posted to the server's check (the rules' own
// schedule check, announced now) and its explanation replaces the page's
// aria-live region. The region is aria-busy from the change until the
// answer to the latest draft is shown. Without this module, the form's
// "Check the dates" button posts the draft and the page comes back
// explained.
function startDatesCheck(form) {
  const region = document.getElementById('dates-explained');
  const url = `${form.getAttribute('action')}/dates`;
  let timer = null;
  let latest = 0;
  const check = async (turn) => {
    const body = new URLSearchParams(new FormData(form));
    body.delete('documents');
    try {
      const response = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body,
      });
      const html = await response.text();
      if (turn !== latest) return;
      if (!response.ok) throw new Error(response.statusText);
      const fragment = new DOMParser().parseFromString(html, 'text/html');
      region.replaceChildren(...Array.from(fragment.body.childNodes, (n) => document.importNode(n, true)));
      showLocalTimes(region);
    } catch (problem) {
      if (turn === latest) say(region, MESSAGES.datesUnchecked(problem.message), false);
    } finally {
      if (turn === latest) region.removeAttribute('aria-busy');
    }
  };
  const changed = () => {
    region.setAttribute('aria-busy', 'true');
    latest += 1;
    const turn = latest;
    clearTimeout(timer);
    timer = setTimeout(() => check(turn), 400);
  };
  for (const id of ['kind', 'meeting', 'opens', 'closes', 'meeting_start']) {
    const field = document.getElementById(id);
    if (field) {
      field.addEventListener('input', changed);
      field.addEventListener('change', changed);
    }
  }
}

// ------------------------------------------- announcement: documents

// The lines of the draft's documents field, one a document as the note
// names it: sha256:<hex> <size> <media type> <file name>.
function documentLines(field) {
  return field.value.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}

function parseDocumentLine(line) {
  const m = /^sha256:([0-9a-f]{64}) (\d+) (\S+) (.+)$/.exec(line);
  return m ? { sha256: m[1], size: Number(m[2]), mediaType: m[3], fileName: m[4] } : null;
}

// The media type the browser gives, when it is one a note may carry
// (type/subtype, lowercase tokens); any other as plain bytes.
function mediaTypeOf(file) {
  const type = (file.type || '').toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : 'application/octet-stream';
}

function listDraftDocuments() {
  const field = document.getElementById('documents');
  const list = document.getElementById('document-list');
  list.replaceChildren();
  for (const line of documentLines(field)) {
    const d = parseDocumentLine(line);
    const item = document.createElement('li');
    item.append(d ? MESSAGES.draftDocument(d.fileName, d.mediaType, d.size, d.sha256) : line, ' ');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'secondary';
    remove.textContent = MESSAGES.removeDocument(d ? d.fileName : line);
    remove.addEventListener('click', () => {
      field.value = documentLines(field).filter((l) => l !== line).join('\n');
      listDraftDocuments();
      document.getElementById('document-files').focus();
    });
    item.append(remove);
    list.append(item);
  }
}

// Each file picked: its SHA-256 and size computed here, the bytes kept in
// IndexedDB for the signing step, its line added to the draft.
async function addDraftDocuments(area, input) {
  const field = document.getElementById('documents');
  const max = Number(area.dataset.maxBytes);
  const most = Number(area.dataset.most);
  const lines = documentLines(field);
  const problems = [];
  for (const file of Array.from(input.files)) {
    if (file.size > max) { problems.push(MESSAGES.documentTooLarge(file.name, file.size, max)); continue; }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const digest = hex(await sha256(bytes));
    if (lines.some((l) => l.startsWith(`sha256:${digest} `))) continue;
    if (lines.length >= most) { problems.push(MESSAGES.tooManyDocuments(most)); break; }
    const type = mediaTypeOf(file);
    await keepDocument({ sha256: digest, name: file.name, type, blob: new Blob([bytes], { type }), added: new Date().toISOString() });
    lines.push(`sha256:${digest} ${bytes.length} ${type} ${file.name}`);
  }
  field.value = lines.join('\n');
  input.value = '';
  listDraftDocuments();
  const status = document.getElementById('documents-status');
  if (problems.length > 0) say(status, problems.join(' '), false);
  else say(status, MESSAGES.documentsNamed(lines.length));
}

function startDraftDocuments(area) {
  area.hidden = false;
  const input = document.getElementById('document-files');
  listDraftDocuments();
  input.addEventListener('change', () => addDraftDocuments(area, input)
    .catch((e) => say(document.getElementById('documents-status'), `${e.message}.`, false)));
}

// The documents the review step lists, in the note's order: the bytes
// kept on this device when they were picked, or else (announcing a ballot
// again) those stored beside the log for the ballot the note names; each
// must have the SHA-256 the note names, or nothing is signed.
async function announcedDocuments(section, text) {
  const ballot = (/^ballot (\S+)$/m.exec(text) || [])[1];
  const documents = [];
  for (const item of document.querySelectorAll('#announce-documents [data-sha256]')) {
    const want = item.dataset.sha256;
    let bytes = null;
    const kept = await keptDocument(want).catch(() => undefined);
    if (kept) {
      bytes = new Uint8Array(await kept.blob.arrayBuffer());
    } else if (ballot) {
      const response = await fetch(`/groups/${encodeURIComponent(section.dataset.group)}/ballots/${encodeURIComponent(ballot)}/documents/${want}`,
        { credentials: 'same-origin' });
      if (response.ok) bytes = new Uint8Array(await response.arrayBuffer());
    }
    if (!bytes || hex(await sha256(bytes)) !== want) throw new Error(MESSAGES.documentMissing(item.dataset.fileName, want));
    documents.push({ sha256: want, base64: toBase64(bytes) });
  }
  return documents;
}

// A statement (certification, appeal, decision): the exact note the server
// showed, signed with the person's key and sent as signed. A certification
// names a tree head: the page's signed checkpoint is first verified under
// the log key pinned on this device and must be that tree head.
async function signStatement(section) {
  const error = document.getElementById('statement-error');
  const outcome = document.getElementById('statement-outcome');
  const button = document.getElementById('sign-statement');
  const csrf = document.querySelector('.who input[name="csrf"]').value;
  const text = document.getElementById('statement-note').textContent;
  const kind = section.dataset.kind;
  error.hidden = true;
  button.disabled = true;
  try {
    const checkpoint = document.getElementById('statement-checkpoint');
    if (checkpoint) {
      const origin = (/^origin (.*)$/m.exec(text) || [])[1];
      const head = (/^checkpoint (\d+) (\S+)$/m.exec(text) || []);
      const key = await logKey(origin, section.dataset.group, []);
      const verified = await verifyCheckpoint(checkpoint.textContent, key);
      if (verified.origin !== origin || String(verified.size) !== head[1] || toBase64(verified.root) !== head[2]) {
        throw new Error(MESSAGES.checkpointMismatch);
      }
    }
    const signer = await signingKey(section, document.getElementById('statement-key-file'));
    const signed = await signNote(text, signer);
    const response = await fetch(section.dataset.post, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ note: signed }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      showError(error, [MESSAGES.statementRefused(answer.detail || response.statusText)]);
      return;
    }
    const said = kind === 'certify' ? MESSAGES.certified(answer.index, answer.size)
      : kind === 'appeal' ? MESSAGES.appealed(answer.index, answer.size, answer.appeal)
        : MESSAGES.decided(answer.index, answer.size);
    const link = document.createElement('a');
    link.href = `/groups/${encodeURIComponent(section.dataset.group)}/ballots/${encodeURIComponent(section.dataset.ballot)}`;
    link.textContent = MESSAGES.ballotPage(section.dataset.ballot);
    const p = document.createElement('p');
    p.append(said, ' ', link);
    outcome.replaceChildren(p);
    button.hidden = true;
    outcome.focus();
  } catch (problem) {
    showError(error, [`${problem.message}.`]);
  } finally {
    button.disabled = false;
  }
}

function start() {
  showLocalTimes();
  const csvImport = document.getElementById('csv-import-form');
  if (csvImport) startCsvImport(csvImport);
  const importForm = document.getElementById('import-form');
  const checkForm = document.getElementById('check-form');
  const voteSection = document.getElementById('vote');
  const mine = document.getElementById('my-votes');
  if (!subtle) {
    const region = document.getElementById('import-status') || document.getElementById('check-result')
      || document.getElementById('vote-outcome');
    if (region) say(region, MESSAGES.noWebCrypto, false);
    return;
  }
  if (voteSection) startVote(voteSection);
  const draft = document.getElementById('dates-explained') && document.querySelector('form[action$="/announce"]');
  if (draft) startDatesCheck(draft);
  const draftDocuments = document.getElementById('documents-field');
  if (draftDocuments) startDraftDocuments(draftDocuments);
  const announcing = document.getElementById('announce');
  if (announcing) document.getElementById('sign-announce').addEventListener('click', () => announce(announcing));
  const statement = document.getElementById('statement');
  if (statement) document.getElementById('sign-statement').addEventListener('click', () => signStatement(statement));
  if (mine) showCounted(mine).catch((e) => say(document.getElementById('my-votes-status'), MESSAGES.unreadable(e.message), false));
  if (importForm) {
    importForm.addEventListener('submit', importKey);
    document.getElementById('generate-key').addEventListener('click', generateKey);
    listDeviceKeys().catch((e) => say(document.getElementById('device-keys'), MESSAGES.deviceKeysUnreadable(e.message), false));
  }
  if (checkForm) checkForm.addEventListener('submit', checkReceipt);
}

// In a page; the known-answer tests import this module in Node, which has
// no document.
if (typeof document !== 'undefined') start();

export {
  parsePrivateKey, parseVerifierKey, importSeed, keyId, verifyInclusion, verifyConsistency, parseReceipt,
  voteNoteText, signNote, checkCommitment, verifyVoteReceipt, fromBase64, hex, sha256,
};
