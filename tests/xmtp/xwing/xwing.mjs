// XMTP welcome wrapping with X-Wing (facts §7.3), computed by @hpke/core and @hpke/hybridkem-x-wing
// (X-Wing draft-connolly-cfrg-xwing-kem-06): an implementation independent of spec_model/mls/xwing.py and
// spec_model/xmtp/welcome_wrap.py, used by tests/xmtp/test_xwing.py.
//
// HPKE base mode, X-Wing, HKDF-SHA256, ChaCha20-Poly1305; info = TLS EncryptContext{"MLS 1.0 MLS_WELCOME", ""};
// AAD empty; one context seals the welcome, then the metadata. The KEM id in HPKE's suite_id is `kem_id`
// (default 0x004D, the hpke-rs codepoint libxmtp pins; the package's own is 0x647A).
//
// stdin:  a JSON array of cases, bytes in hex:
//   {op: "derive", ikm}                                    X-Wing DeriveKeyPair(ikm)
//   {op: "wrap", public_key, welcome, metadata, eseed?, kem_id?}
//                                                          eseed (64 bytes) fixes EncapsulateDerand
//   {op: "unwrap", private_key, data, welcome_metadata, kem_id?}
// stdout: a JSON array, one entry per case:
//   derive: {private_key, public_key}; wrap: {data, welcome_metadata} (data = TLS HPKECiphertext);
//   unwrap: {welcome, metadata} or {error} (the name of the error thrown).
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { XWing } from '@hpke/hybridkem-x-wing';

const bytes = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (b) => Buffer.from(new Uint8Array(b)).toString('hex');

const LABEL = new TextEncoder().encode('MLS 1.0 MLS_WELCOME');

// RFC 9420 §2.1.2: a variable-length vector, its length a QUIC-style varint (1, 2 or 4 bytes).
function opaque(data) {
  const n = data.length;
  const prefix = n < 0x40 ? [n] : n < 0x4000 ? [0x40 | (n >> 8), n & 0xff]
    : [0x80 | (n >>> 24), (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return Uint8Array.from([...prefix, ...data]);
}

function readOpaque(buf, at) {
  const kind = buf[at] >> 6;
  if (kind === 3) throw new Error('bad varint');
  const size = 1 << kind;
  let n = buf[at] & 0x3f;
  for (let i = 1; i < size; i++) n = n * 256 + buf[at + i];
  const start = at + size;
  if (start + n > buf.length) throw new Error('truncated vector');
  return [buf.subarray(start, start + n), start + n];
}

const INFO = Uint8Array.from([...opaque(LABEL), ...opaque(new Uint8Array(0))]);

function suite(kemId) {
  const kem = new XWing();
  kem.id = kemId ?? 0x004d;
  return new CipherSuite({ kem, kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
}

async function run(c) {
  if (c.op === 'derive') {
    const kem = new XWing();
    const pair = await kem.deriveKeyPair(bytes(c.ikm));
    return {
      private_key: hex(await kem.serializePrivateKey(pair.privateKey)),
      public_key: hex(await kem.serializePublicKey(pair.publicKey)),
    };
  }
  const s = suite(c.kem_id);
  if (c.op === 'wrap') {
    const params = { recipientPublicKey: await s.kem.deserializePublicKey(bytes(c.public_key)), info: INFO };
    if (c.eseed !== undefined) params.ekm = bytes(c.eseed);
    const sender = await s.createSenderContext(params);
    const ct = new Uint8Array(await sender.seal(bytes(c.welcome), new Uint8Array(0)));
    const metadata = await sender.seal(bytes(c.metadata), new Uint8Array(0));
    const data = Uint8Array.from([...opaque(new Uint8Array(sender.enc)), ...opaque(ct)]);
    return { data: hex(data), welcome_metadata: hex(metadata) };
  }
  if (c.op === 'unwrap') {
    try {
      const data = bytes(c.data);
      const [enc, next] = readOpaque(data, 0);
      const [ct, end] = readOpaque(data, next);
      if (end !== data.length) throw new Error('trailing bytes');
      const recipient = await s.createRecipientContext({
        recipientKey: await s.kem.deserializePrivateKey(bytes(c.private_key)), enc, info: INFO,
      });
      const welcome = await recipient.open(ct, new Uint8Array(0));
      const metadata = c.welcome_metadata ? await recipient.open(bytes(c.welcome_metadata), new Uint8Array(0))
        : new Uint8Array(0);
      return { welcome: hex(welcome), metadata: hex(metadata) };
    } catch (e) {
      return { error: e.name };
    }
  }
  throw new Error(`unknown op ${c.op}`);
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const c of JSON.parse(input)) results.push(await run(c));
process.stdout.write(JSON.stringify(results));
