// RFC 8032 §5.1 Ed25519ph with a context, computed by @noble/curves: an implementation
// independent of spec_model/xmtp/ed25519ph.py, used by tests/xmtp/test_ed25519ph.py.
//
// stdin:  a JSON array of cases {seed, message, context, signature?, public?}, all hex.
// stdout: a JSON array, one entry per case:
//   {public, signature}  noble's key and Ed25519ph signature for (seed, message, context);
//   verified             when the case carries `signature` (and optionally `public`, else the
//                        seed's key): whether noble accepts it under RFC 8032 rules
//                        (zip215: false = canonical encodings required).
import { ed25519ph } from '@noble/curves/ed25519';

const bytes = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));
const hex = (b) => Buffer.from(b).toString('hex');

let input = '';
for await (const chunk of process.stdin) input += chunk;

const results = JSON.parse(input).map((c) => {
  const seed = bytes(c.seed);
  const message = bytes(c.message);
  const context = bytes(c.context);
  const pub = ed25519ph.getPublicKey(seed);
  const out = { public: hex(pub), signature: hex(ed25519ph.sign(message, seed, { context })) };
  if (c.signature !== undefined) {
    const key = c.public !== undefined ? bytes(c.public) : pub;
    try {
      out.verified = ed25519ph.verify(bytes(c.signature), message, key, { context, zip215: false });
    } catch {
      out.verified = false;
    }
  }
  return out;
});
process.stdout.write(JSON.stringify(results));
