// Scrutineer's one first-party ES module: keys and receipt checks in the
// browser (SPEC section 8). Readable on purpose, no dependencies, no build
// step: anyone can read what runs next to their key.
//
// - Keys: a `scrutineer keygen` private key (PRIVATE+KEY+<name>+<id>+<b64>,
//   docs/formats.md section 3) becomes a NON-extractable WebCrypto Ed25519
//   key; its C2SP key id is checked against the person's registered ids
//   (listed on the keys page); "remember on this device" keeps the
//   non-extractable CryptoKey in IndexedDB. Or the browser generates a key
//   and fills the key request form with its verifier key.
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
    throw new Error('not canonical base64');
  }
  const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  if (toBase64(bytes) !== text) throw new Error('not canonical base64');
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
    throw new Error('the key name is empty or has spaces, "+" or control characters');
  }
}

// PRIVATE+KEY+<name>+<8 hex id>+<base64(0x01 || seed)>. Only the leading
// fields are split off: the base64 may itself contain "+".
function parsePrivateKey(text) {
  const prefix = 'PRIVATE+KEY+';
  const trimmed = text.trim();
  if (!trimmed.startsWith(prefix)) throw new Error('a key file begins with PRIVATE+KEY+');
  const rest = trimmed.slice(prefix.length);
  const nameEnd = rest.indexOf('+');
  if (nameEnd < 0) throw new Error('the key has no name');
  const name = rest.slice(0, nameEnd);
  checkKeyName(name);
  const id = rest.slice(nameEnd + 1, nameEnd + 9);
  if (!/^[0-9a-f]{8}$/.test(id) || rest[nameEnd + 9] !== '+') throw new Error('the key id is not 8 hex digits');
  const material = fromBase64(rest.slice(nameEnd + 10));
  if (material.length !== 33 || material[0] !== ED25519_TYPE) throw new Error('not an Ed25519 key');
  return { name, id, seed: material.slice(1) };
}

// <name>+<8 hex id>+<base64(0x01 || public key)>, with the id checked.
async function parseVerifierKey(text) {
  const trimmed = text.trim();
  const nameEnd = trimmed.indexOf('+');
  if (nameEnd <= 0) throw new Error('a verifier key is name+id+base64');
  const name = trimmed.slice(0, nameEnd);
  checkKeyName(name);
  const id = trimmed.slice(nameEnd + 1, nameEnd + 9);
  if (!/^[0-9a-f]{8}$/.test(id) || trimmed[nameEnd + 9] !== '+') throw new Error('the key id is not 8 hex digits');
  const material = fromBase64(trimmed.slice(nameEnd + 10));
  if (material.length !== 33 || material[0] !== ED25519_TYPE) throw new Error('not an Ed25519 key');
  const publicKey = material.slice(1);
  if ((await keyId(name, publicKey)) !== id) throw new Error('the key id does not match the key');
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

function openDatabase() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('scrutineer', 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore('keys', { keyPath: 'verifier' });
      request.result.createObjectStore('logKeys', { keyPath: 'origin' });
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

// ------------------------------------------------------------- messages

// Renders an outcome: a heading sentence and a list of checks, each
// marked by a symbol and a word as well as a colour.
function show(region, lines) {
  region.replaceChildren();
  const list = document.createElement('ul');
  for (const { ok, text } of lines) {
    const item = document.createElement('li');
    item.className = ok ? 'pass' : 'fail';
    item.textContent = (ok ? 'Passed: ' : 'Failed: ') + text;
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
    const state = registered.has(k.id) ? 'registered' : 'not registered (yet)';
    item.textContent = `Key id ${k.id}, ${state}; fingerprint ${k.fingerprint}; kept since ${k.added}.`;
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
    if (!text.trim()) throw new Error('pick a key file or paste a key');
    const parsed = parsePrivateKey(text);
    const { privateKey, publicKey } = await importSeed(parsed.seed);
    parsed.seed.fill(0);
    const id = await keyId(parsed.name, publicKey);
    if (id !== parsed.id) throw new Error('the key id in the file does not match the key');
    if (parsed.name !== person) throw new Error(`the key is named ${parsed.name}, not after you (${person})`);
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
      { ok: true, text: `the key was imported and cannot be read back (key id ${id}, fingerprint ${print}).` },
      { ok: registered, text: registered ? 'it is one of your registered keys.' : 'it is not among your registered keys: ask for it to be registered below.' },
    ]);
    if (!registered) document.getElementById('verifier-key').value = verifierKeyText(parsed.name, id, publicKey);
  } catch (error) {
    say(status, `The key could not be used: ${error.message}.`, false);
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
    say(status, `A new key was made and kept on this device (key id ${id}, fingerprint ${print}). Its public key is in the request form below: send it.`);
  } catch (error) {
    say(status, `No key could be made: ${error.message}.`, false);
  }
}

// --------------------------------------------------------------- receipts

// A C2SP signed note: the text (up to and including the last line before
// the blank line) and its signature lines.
function parseNote(text) {
  const split = text.lastIndexOf('\n\n');
  if (split < 0 || !text.endsWith('\n')) throw new Error('not a signed note');
  const body = text.slice(0, split + 1);
  const signatures = text.slice(split + 2, -1).split('\n').map((line) => {
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error('a signature line is malformed');
    const bytes = fromBase64(m[2]);
    if (bytes.length !== 68) throw new Error('an Ed25519 signature line has 4 + 64 bytes');
    return { name: m[1], id: hex(bytes.subarray(0, 4)), signature: bytes.subarray(4) };
  });
  return { body, signatures };
}

// A checkpoint verified under `key`: origin, size, root.
async function verifyCheckpoint(text, key) {
  const { body, signatures } = parseNote(text);
  const lines = body.split('\n');
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText || '')) throw new Error('the checkpoint size is malformed');
  const root = fromBase64(rootText || '');
  if (root.length !== 32) throw new Error('the checkpoint root is not a SHA-256 hash');
  const mine = signatures.find((s) => s.name === key.name && s.id === key.id);
  if (!mine) throw new Error('the checkpoint is not signed by the pinned log key');
  const ok = await subtle.verify({ name: 'Ed25519' }, key.cryptoKey, mine.signature, encoder.encode(body));
  if (!ok) throw new Error('the checkpoint signature does not verify');
  return { origin, size: BigInt(sizeText), root };
}

function parseReceipt(text) {
  const split = text.indexOf('\n\n');
  if (split < 0) throw new Error('the receipt has no checkpoint');
  const lines = text.slice(0, split).split('\n');
  if (lines.shift() !== 'c2sp.org/tlog-proof@v1') throw new Error('not a c2sp.org/tlog-proof@v1 receipt');
  let extra = null;
  if (lines[0] && lines[0].startsWith('extra ')) extra = fromBase64(lines.shift().slice(6));
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines.shift() || '');
  if (!index) throw new Error('the receipt has no index line');
  const proof = lines.map((line) => {
    const hash = fromBase64(line);
    if (hash.length !== 32) throw new Error('a proof line is not a SHA-256 hash');
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
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.text();
}

// The group's log key, pinned on first use. A different key later is an
// error, never a silent update.
async function logKey(origin, group, lines) {
  const served = (await fetchText(`/log-keys/${encodeURIComponent(group)}`)).trim();
  const pinned = await pinnedLogKey(origin);
  if (pinned && pinned.verifier !== served) {
    lines.push({ ok: false, text: `THE LOG KEY CHANGED. This browser pinned ${pinned.verifier} for ${origin}, but the server now serves ${served}. Do not trust this server's answers; tell your secretariat.` });
  }
  const key = await parseVerifierKey(pinned ? pinned.verifier : served);
  if (key.name !== origin) throw new Error('the log key is not named by the log origin');
  const print = await fingerprint(key.publicKey);
  if (!pinned) {
    await pinLogKey({ origin, verifier: served, fingerprint: print });
    lines.push({ ok: true, text: `log key of ${origin} pinned on this device now (first use); fingerprint ${print}. Compare it with the one your secretariat publishes.` });
  } else if (pinned.verifier === served) {
    lines.push({ ok: true, text: `log key of ${origin} is the one pinned on this device; fingerprint ${print}.` });
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
    error.textContent = 'Error: choose a receipt file.';
    error.hidden = false;
    document.getElementById('receipt-file').setAttribute('aria-invalid', 'true');
    return;
  }
  say(region, 'Checking…');
  try {
    const receipt = parseReceipt(decoder.decode(new Uint8Array(await receiptFile.arrayBuffer())));
    if (!receipt.extra) throw new Error('the receipt carries no entry (no extra line)');
    const origin = receipt.checkpoint.split('\n', 1)[0];
    const group = origin.slice(origin.lastIndexOf('/') + 1);
    const key = await logKey(origin, group, lines);
    const checkpoint = await verifyCheckpoint(receipt.checkpoint, key);
    lines.push({ ok: true, text: `checkpoint of size ${checkpoint.size} signed by the log key.` });
    const included = await verifyInclusion(receipt.index, checkpoint.size, await leafHash(receipt.extra), receipt.proof, checkpoint.root);
    lines.push({ ok: included, text: `entry ${receipt.index} is ${included ? '' : 'NOT '}in the log at that checkpoint.` });
    const entry = decoder.decode(receipt.extra);
    const ballot = (/\nballot (\S+)\n/.exec(entry) || [])[1] || '<ballot>';
    const committed = (/\nnote sha256:([0-9a-f]{64})\n/.exec(entry) || [])[1];
    const voteFile = document.getElementById('vote-file').files[0];
    if (voteFile) {
      const digest = hex(await sha256(new Uint8Array(await voteFile.arrayBuffer())));
      const ok = committed === digest;
      lines.push({ ok, text: ok ? 'the entry commits to exactly the bytes of the vote file.' : 'the entry does not commit to this vote file.' });
    } else if (committed) {
      lines.push({ ok: true, text: `the entry commits to the vote note sha256:${committed} (load the vote file to compare).` });
    }
    const current = await verifyCheckpoint(await fetchText(`/v1/groups/${encodeURIComponent(group)}/log/checkpoint`), key);
    let consistent = current.origin === origin && current.size >= checkpoint.size;
    if (consistent && current.size > checkpoint.size) {
      const answer = JSON.parse(await fetchText(
        `/v1/groups/${encodeURIComponent(group)}/log/proof/consistency?old=${checkpoint.size}&new=${current.size}`,
      ));
      consistent = await verifyConsistency(checkpoint.size, current.size, checkpoint.root, current.root, answer.proof.map(fromBase64));
    } else if (consistent) {
      consistent = equal(current.root, checkpoint.root);
    }
    lines.push({ ok: consistent, text: consistent
      ? `the log's current checkpoint (size ${current.size}) contains the receipt's: the log only grew.`
      : `the log's current checkpoint (size ${current.size}) is NOT consistent with the receipt's.` });
    show(region, lines);
    const verdict = document.createElement('p');
    const passed = lines.every((l) => l.ok);
    verdict.className = passed ? 'pass' : 'fail';
    verdict.textContent = passed ? 'The receipt is valid.' : 'The receipt does NOT check out.';
    region.prepend(verdict);
    const audit = document.createElement('p');
    audit.append('After the close, audit the whole ballot: download the ');
    const link = document.createElement('a');
    link.href = `/v1/groups/${encodeURIComponent(group)}/ballots/${encodeURIComponent(ballot)}/bundle`;
    link.textContent = 'audit bundle';
    audit.append(link, ' (members, with a token) and run ');
    const command = document.createElement('code');
    command.textContent = `scrutineer verify ${ballot}.tar --log-key log.vkey --receipt ${receiptFile.name}`;
    audit.append(command, '.');
    region.append(audit);
  } catch (problem) {
    lines.push({ ok: false, text: `${problem.message}.` });
    show(region, lines);
    const verdict = document.createElement('p');
    verdict.className = 'fail';
    verdict.textContent = 'The receipt does NOT check out.';
    region.prepend(verdict);
  }
}

// ---------------------------------------------------------------- wiring

function start() {
  const importForm = document.getElementById('import-form');
  const checkForm = document.getElementById('check-form');
  if (!subtle) {
    const region = document.getElementById('import-status') || document.getElementById('check-result');
    if (region) say(region, 'This browser offers no Web Crypto here (it needs HTTPS or 127.0.0.1).', false);
    return;
  }
  if (importForm) {
    importForm.addEventListener('submit', importKey);
    document.getElementById('generate-key').addEventListener('click', generateKey);
    listDeviceKeys().catch((e) => say(document.getElementById('device-keys'), `Keys on this device cannot be read: ${e.message}.`, false));
  }
  if (checkForm) checkForm.addEventListener('submit', checkReceipt);
}

start();

export { parsePrivateKey, parseVerifierKey, importSeed, keyId, verifyInclusion, verifyConsistency, parseReceipt };
