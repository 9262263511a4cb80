// hpke.answer for the adapter: the questions of the RFC 9180 test vectors (conformance/rfc9180.py), answered
// with the HPKE ts-mls itself runs on: an @hpke/core CipherSuite built from ts-mls's own KEM, KDF and AEAD
// makers (ts-mls/crypto/implementation/default/makeHpke.js does the same). ts-mls's Hpke interface offers
// only base-mode single-shot seal/open with a random ephemeral key; RFC 9180's deterministic setup (§5.1,
// the ephemeral key from ikmE) and its psk and auth modes need the CipherSuite underneath.
// Not answered: the export-only AEAD (0xFFFF), which ts-mls has no maker for (MLS never uses it).

import { CipherSuite } from "@hpke/core";
import { makeAead } from "ts-mls/crypto/implementation/default/makeAead.js";
import { makeDhKem } from "ts-mls/crypto/implementation/default/makeDhKem.js";
import { makeKdf } from "ts-mls/crypto/implementation/default/makeKdfImpl.js";
import { h, hex } from "./vectors.mjs";

// RFC 9180 §7.1-§7.3 identifiers -> ts-mls's algorithm names
const KEMS = { 0x10: "DHKEM-P256-HKDF-SHA256", 0x11: "DHKEM-P384-HKDF-SHA384", 0x12: "DHKEM-P521-HKDF-SHA512",
  0x20: "DHKEM-X25519-HKDF-SHA256", 0x21: "DHKEM-X448-HKDF-SHA512" };
const KDFS = { 0x1: "HKDF-SHA256", 0x2: "HKDF-SHA384", 0x3: "HKDF-SHA512" };
const AEADS = { 0x1: "AES128GCM", 0x2: "AES256GCM", 0x3: "CHACHA20POLY1305" };
const MODES = { BASE: 0, PSK: 1, AUTH: 2, AUTH_PSK: 3 };

export const HPKE_CAPABILITY = {
  modes: Object.values(MODES), kems: Object.keys(KEMS).map(Number), kdfs: Object.keys(KDFS).map(Number),
  aeads: Object.keys(AEADS).map(Number),
};

const suites = new Map(); // "kem kdf aead" -> Promise<CipherSuite>
function suite(q) {
  const key = `${q.kem_id} ${q.kdf_id} ${q.aead_id}`;
  if (!suites.has(key)) {
    suites.set(key, (async () => new CipherSuite({
      kem: await makeDhKem(KEMS[q.kem_id]), kdf: makeKdf(KDFS[q.kdf_id]), aead: (await makeAead(AEADS[q.aead_id]))[1],
    }))());
  }
  return suites.get(key);
}

// the key schedule's inputs the mode uses (RFC 9180 §5.1)
const pskOf = (q) => ([MODES.PSK, MODES.AUTH_PSK].includes(q.mode) ? { psk: { id: h(q.psk_id), key: h(q.psk) } } : {});
const isAuth = (q) => [MODES.AUTH, MODES.AUTH_PSK].includes(q.mode);

const exported = (context, q) => Promise.all(q.exports.map(async (e) => hex(new Uint8Array(
  await context.export(h(e.exporter_context), e.L)))));

// the answer to one question; undefined for a suite outside HPKE_CAPABILITY
export async function answerHpke(q) {
  if (!(q.kem_id in KEMS && q.kdf_id in KDFS && q.aead_id in AEADS && Object.values(MODES).includes(q.mode))) return undefined;
  const cs = await suite(q);
  const { kem } = cs;
  if (q.ask === "sender") {
    // Setup<MODE>S with the ephemeral key pair DeriveKeyPair(ikmE) (RFC 9180 §5.1, §7.1.3)
    const context = await cs.createSenderContext({
      recipientPublicKey: await kem.deserializePublicKey(h(q.pkRm)), info: h(q.info), ekm: h(q.ikmE), ...pskOf(q),
      ...(isAuth(q) ? { senderKey: await kem.deserializePrivateKey(h(q.skSm)) } : {}),
    });
    const ciphertexts = [];
    for (const p of q.plaintexts) ciphertexts.push(hex(new Uint8Array(await context.seal(h(p.pt), h(p.aad)))));
    return { enc: hex(new Uint8Array(context.enc)), ciphertexts, exported: await exported(context, q) };
  }
  const context = await cs.createRecipientContext({
    recipientKey: { privateKey: await kem.deserializePrivateKey(h(q.skRm)), publicKey: await kem.deserializePublicKey(h(q.pkRm)) },
    enc: h(q.enc), info: h(q.info), ...pskOf(q),
    ...(isAuth(q) ? { senderPublicKey: await kem.deserializePublicKey(h(q.pkSm)) } : {}),
  });
  const plaintexts = [];
  for (const c of q.ciphertexts) {
    try {
      plaintexts.push(hex(new Uint8Array(await context.open(h(c.ct), h(c.aad)))));
    } catch (e) {
      if (e?.name !== "OpenError") throw e;
      plaintexts.push(null); // the AEAD refused the ciphertext
    }
  }
  return { plaintexts, exported: await exported(context, q) };
}
