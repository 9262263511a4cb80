// mls.verify_vector for the adapter: official RFC 9420 test vectors (mlswg/mls-implementations,
// test-vectors.md) verified with ts-mls's own functions, one verification step after the other as
// VerifyTestVector does. Only the formats in FORMATS are declared; message-protection, treekem and
// tree-operations would need group machinery that ts-mls does not expose on its own.

import { ciphersuites, decodeMlsMessage, encodeMlsMessage, getCiphersuiteFromName, getCiphersuiteImpl, mlsExporter } from "ts-mls";
import { decodeAuthenticatedContent, encodeAuthenticatedContent } from "ts-mls/authenticatedContent.js";
import { encode } from "ts-mls/codec/tlsEncoder.js";
import { determineLength, lengthEncoder } from "ts-mls/codec/variableLength.js";
import { decodeCommit, encodeCommit } from "ts-mls/commit.js";
import { refhash } from "ts-mls/crypto/hash.js";
import { decryptWithLabel, encryptWithLabel } from "ts-mls/crypto/hpke.js";
import { deriveSecret, deriveTreeSecret, expandWithLabel } from "ts-mls/crypto/kdf.js";
import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js";
import { createConfirmationTag } from "ts-mls/framedContent.js";
import { decodeGroupContext, encodeGroupContext } from "ts-mls/groupContext.js";
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from "ts-mls/groupInfo.js";
import { decodeGroupSecrets, encodeGroupSecrets } from "ts-mls/groupSecrets.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { initializeEpoch } from "ts-mls/keySchedule.js";
import { verifyLeafNodeSignature } from "ts-mls/leafNode.js";
import { verifyParentHashes } from "ts-mls/parentHash.js";
import { computePskSecret } from "ts-mls/presharedkey.js";
import * as proposals from "ts-mls/proposal.js";
import { decodeRatchetTree, encodeRatchetTree, resolution } from "ts-mls/ratchetTree.js";
import { createSecretTree, ratchetToGeneration } from "ts-mls/secretTree.js";
import { expandSenderDataKey, expandSenderDataNonce } from "ts-mls/sender.js";
import { createConfirmedHash, createInterimHash } from "ts-mls/transcriptHash.js";
import { treeHash } from "ts-mls/treeHash.js";
import { left, nodeWidth, parent, right, root, sibling } from "ts-mls/treemath.js";
import { decryptGroupInfo, decryptGroupSecrets } from "ts-mls/welcome.js";

// ------------------------------------------------------------------ helpers

class Failed extends Error {}

const h = (hex) => Uint8Array.from(Buffer.from(hex, "hex"));
const hex = (bytes) => Buffer.from(bytes).toString("hex");
const show = (v) => { const s = v instanceof Uint8Array ? hex(v) : JSON.stringify(v); return s.length > 80 ? `${s.slice(0, 77)}...` : s; };

// expected (hex for bytes) against actual
function expect(field, expected, actual) {
  const same = actual instanceof Uint8Array ? typeof expected === "string" && hex(actual) === expected.toLowerCase()
    : JSON.stringify(expected) === JSON.stringify(actual);
  if (!same) throw new Failed(`${field}: expected ${show(expected)}, got ${show(actual)}`);
}

// a verification step: whatever it throws fails the case, named
async function at(field, step) {
  try {
    return await step();
  } catch (e) {
    if (e instanceof Failed) throw e;
    throw new Failed(`${field}: ${e?.name ?? "Error"}: ${e?.message ?? e}`);
  }
}

// a decoder that must consume every byte
function decodeAll(field, decoder, bytes) {
  const decoded = decoder(bytes, 0);
  if (decoded === undefined) throw new Failed(`${field}: does not decode`);
  if (decoded[1] !== bytes.length) throw new Failed(`${field}: ${bytes.length - decoded[1]} bytes left over`);
  return decoded[0];
}

const suiteNames = new Map(Object.entries(ciphersuites).map(([name, id]) => [id, name]));
const impls = new Map();
function suite(id) {
  if (!impls.has(id)) impls.set(id, getCiphersuiteImpl(getCiphersuiteFromName(suiteNames.get(id))));
  return impls.get(id);
}

const orNull = (f) => { try { return f(); } catch { return null; } };

// ------------------------------------------------------------------ the formats

const FORMATS = {
  "tree-math": async (c) => {
    const n = c.n_leaves;
    expect("n_nodes", c.n_nodes, nodeWidth(n));
    expect("root", c.root, root(n));
    const relations = { left, right, parent: (x) => parent(x, n), sibling: (x) => sibling(x, n) };
    for (const [field, f] of Object.entries(relations)) {
      expect(`${field}.length`, c.n_nodes, c[field].length);
      c[field].forEach((expected, x) => expect(`${field}[${x}]`, expected, orNull(() => f(x))));
    }
  },

  deserialization: async (c) => {
    const header = h(c.vlbytes_header);
    const { length, lengthFieldSize } = await at("vlbytes_header.decode", () => determineLength(header, 0));
    expect("vlbytes_header.size", header.length, lengthFieldSize);
    expect("length", c.length, length);
    expect("vlbytes_header", c.vlbytes_header, encode(() => lengthEncoder(c.length))(undefined));
  },

  "crypto-basics": async (c) => {
    const cs = await suite(c.cipher_suite);
    let v = c.ref_hash;
    expect("ref_hash.out", v.out, await refhash(v.label, h(v.value), cs.hash));
    v = c.expand_with_label;
    expect("expand_with_label.out", v.out, await expandWithLabel(h(v.secret), v.label, h(v.context), v.length, cs.kdf));
    v = c.derive_secret;
    expect("derive_secret.out", v.out, await deriveSecret(h(v.secret), v.label, cs.kdf));
    v = c.derive_tree_secret;
    expect("derive_tree_secret.out", v.out, await deriveTreeSecret(h(v.secret), v.label, v.generation, v.length, cs.kdf));

    v = c.sign_with_label;
    expect("sign_with_label.signature verifies", true,
      await at("sign_with_label.verify", () => verifyWithLabel(h(v.pub), v.label, h(v.content), h(v.signature), cs.signature)));
    const own = await at("sign_with_label.sign", () => signWithLabel(h(v.priv), v.label, h(v.content), cs.signature));
    expect("sign_with_label.own signature verifies", true, await verifyWithLabel(h(v.pub), v.label, h(v.content), own, cs.signature));

    v = c.encrypt_with_label;
    const priv = await at("encrypt_with_label.priv", () => cs.hpke.importPrivateKey(h(v.priv)));
    const pub = await at("encrypt_with_label.pub", () => cs.hpke.importPublicKey(h(v.pub)));
    expect("encrypt_with_label.plaintext", v.plaintext, await at("encrypt_with_label.decrypt",
      () => decryptWithLabel(priv, v.label, h(v.context), h(v.kem_output), h(v.ciphertext), cs.hpke)));
    const { ct, enc } = await at("encrypt_with_label.encrypt", () => encryptWithLabel(pub, v.label, h(v.context), h(v.plaintext), cs.hpke));
    expect("encrypt_with_label.round_trip", v.plaintext, await at("encrypt_with_label.round_trip",
      () => decryptWithLabel(priv, v.label, h(v.context), enc, ct, cs.hpke)));
  },

  "secret-tree": async (c) => {
    const cs = await suite(c.cipher_suite);
    const v = c.sender_data;
    expect("sender_data.key", v.key, await expandSenderDataKey(cs, h(v.sender_data_secret), h(v.ciphertext)));
    expect("sender_data.nonce", v.nonce, await expandSenderDataNonce(cs, h(v.sender_data_secret), h(v.ciphertext)));
    // receiver-style: each leaf's ratchets are asked for the listed generations, in order
    const config = { retainKeysForGenerations: 1000, retainKeysForEpochs: 1, maximumForwardRatchetSteps: 1 << 20 };
    let tree = await createSecretTree(c.leaves.length, h(c.encryption_secret), cs.kdf);
    const reuseGuard = new Uint8Array(4); // all zero: the nonce comes out as derived
    for (const [leafIndex, steps] of c.leaves.entries()) {
      for (const step of steps) {
        const where = `leaves[${leafIndex}][generation=${step.generation}]`;
        for (const [name, contentType] of [["handshake", "commit"], ["application", "application"]]) {
          const r = await at(`${where}.${name}`, () => ratchetToGeneration(tree,
            { leafIndex, generation: step.generation, reuseGuard }, contentType, config, cs));
          expect(`${where}.${name}_key`, step[`${name}_key`], r.key);
          expect(`${where}.${name}_nonce`, step[`${name}_nonce`], r.nonce);
          tree = r.newTree;
        }
      }
    }
  },

  "psk-secret": async (c) => {
    const cs = await suite(c.cipher_suite);
    const psks = c.psks.map((p) => [{ psktype: "external", pskId: h(p.psk_id), pskNonce: h(p.psk_nonce) }, h(p.psk)]);
    expect("psk_secret", c.psk_secret, await computePskSecret(psks, cs));
  },

  "key-schedule": async (c) => {
    const cs = await suite(c.cipher_suite);
    let initSecret = h(c.initial_init_secret);
    for (const [epoch, v] of c.epochs.entries()) {
      const where = `epochs[${epoch}]`;
      const context = {
        version: "mls10", cipherSuite: suiteNames.get(c.cipher_suite), groupId: h(c.group_id), epoch: BigInt(epoch),
        treeHash: h(v.tree_hash), confirmedTranscriptHash: h(v.confirmed_transcript_hash), extensions: [],
      };
      const encoded = encodeGroupContext(context);
      expect(`${where}.group_context`, v.group_context, encoded);
      expect(`${where}.group_context.decode`, v.group_context,
        encodeGroupContext(decodeAll(`${where}.group_context.decode`, decodeGroupContext, encoded)));
      const psk = v.psk_secret === undefined ? new Uint8Array(cs.kdf.size) : h(v.psk_secret);
      const s = await initializeEpoch(initSecret, h(v.commit_secret), context, psk, cs.kdf);
      const k = s.keySchedule;
      const secrets = {
        joiner_secret: s.joinerSecret, welcome_secret: s.welcomeSecret, init_secret: k.initSecret,
        sender_data_secret: k.senderDataSecret, encryption_secret: s.encryptionSecret, exporter_secret: k.exporterSecret,
        epoch_authenticator: k.epochAuthenticator, external_secret: k.externalSecret, confirmation_key: k.confirmationKey,
        membership_key: k.membershipKey, resumption_psk: k.resumptionPsk,
      };
      for (const [name, value] of Object.entries(secrets)) expect(`${where}.${name}`, v[name], value);
      const { publicKey } = await cs.hpke.deriveKeyPair(k.externalSecret);
      expect(`${where}.external_pub`, v.external_pub, await cs.hpke.exportPublicKey(publicKey));
      const x = v.exporter;
      expect(`${where}.exporter.secret`, x.secret, await mlsExporter(k.exporterSecret, x.label, h(x.context), x.length, cs));
      initSecret = k.initSecret;
    }
  },

  "transcript-hashes": async (c) => {
    const cs = await suite(c.cipher_suite);
    const bytes = h(c.authenticated_content);
    const ac = await at("authenticated_content.decode", () => decodeAll("authenticated_content", decodeAuthenticatedContent, bytes));
    expect("authenticated_content.round_trip", c.authenticated_content, encodeAuthenticatedContent(ac));
    expect("authenticated_content.content_type", "commit", ac.content.contentType);
    const confirmed = await createConfirmedHash(h(c.interim_transcript_hash_before),
      { wireformat: ac.wireformat, content: ac.content, signature: ac.auth.signature }, cs.hash);
    expect("confirmed_transcript_hash_after", c.confirmed_transcript_hash_after, confirmed);
    expect("authenticated_content.auth.confirmation_tag", hex(ac.auth.confirmationTag),
      await createConfirmationTag(h(c.confirmation_key), h(c.confirmed_transcript_hash_after), cs.hash));
    expect("interim_transcript_hash_after", c.interim_transcript_hash_after,
      await createInterimHash(confirmed, ac.auth.confirmationTag, cs.hash));
  },

  welcome: async (c) => {
    const cs = await suite(c.cipher_suite);
    const kp = decodeAll("key_package", decodeMlsMessage, h(c.key_package));
    expect("key_package.wire_format", "mls_key_package", kp.wireformat);
    const w = decodeAll("welcome", decodeMlsMessage, h(c.welcome));
    expect("welcome.wire_format", "mls_welcome", w.wireformat);
    const { welcome } = w;
    expect("welcome.cipher_suite", suiteNames.get(c.cipher_suite), welcome.cipherSuite);
    const ref = await makeKeyPackageRef(kp.keyPackage, cs.hash);
    expect("welcome.secrets[key_package]", 1, welcome.secrets.filter((s) => hex(s.newMember) === hex(ref)).length);
    const initPriv = await at("init_priv", () => cs.hpke.importPrivateKey(h(c.init_priv)));
    const secrets = await at("welcome.group_secrets.decrypt", () => decryptGroupSecrets(initPriv, ref, welcome, cs.hpke));
    if (secrets === undefined) throw new Failed("welcome.group_secrets.decrypt: no group secrets");
    expect("group_secrets.psks", 0, secrets.psks.length); // "no PSKs"
    const pskSecret = new Uint8Array(cs.kdf.size);
    const groupInfo = await at("welcome.group_info.decrypt", () => decryptGroupInfo(welcome, secrets.joinerSecret, pskSecret, cs));
    if (groupInfo === undefined) throw new Failed("welcome.group_info.decrypt: no group info");
    expect("group_info.signature", true, await at("group_info.signature",
      () => verifyGroupInfoSignature(groupInfo, h(c.signer_pub), cs.signature)));
    expect("group_info.confirmation_tag", true, await at("group_info.confirmation_tag",
      () => verifyGroupInfoConfirmationTag(groupInfo, secrets.joinerSecret, pskSecret, cs)));
  },

  "tree-validation": async (c) => {
    const cs = await suite(c.cipher_suite);
    const tree = await at("tree.decode", () => decodeAll("tree", decodeRatchetTree, h(c.tree)));
    expect("resolutions.length", tree.length, c.resolutions.length);
    expect("tree_hashes.length", tree.length, c.tree_hashes.length);
    c.resolutions.forEach((expected, x) => expect(`resolutions[${x}]`, expected, resolution(tree, x)));
    for (const [x, expected] of c.tree_hashes.entries()) expect(`tree_hashes[${x}]`, expected, await treeHash(tree, x, cs.hash));
    for (let x = 0; x < tree.length; x += 2) {
      if (tree[x] === undefined) continue;
      expect(`leaf[${x / 2}].signature`, true, await at(`leaf[${x / 2}].signature`,
        () => verifyLeafNodeSignature(tree[x].leaf, h(c.group_id), x / 2, cs.signature)));
    }
    expect("tree (parent hashes)", true, await at("tree (parent hashes)", () => verifyParentHashes(tree, cs.hash)));
  },

  messages: async (c) => {
    // vector field -> [decoder, encoder, the wire format an MLSMessage must have, a PublicMessage's content type]
    const mls = (wireformat, contentType) => [decodeMlsMessage, encodeMlsMessage, wireformat, contentType];
    const structures = {
      mls_welcome: mls("mls_welcome"), mls_group_info: mls("mls_group_info"), mls_key_package: mls("mls_key_package"),
      ratchet_tree: [decodeRatchetTree, encodeRatchetTree],
      group_secrets: [decodeGroupSecrets, encodeGroupSecrets],
      add_proposal: [proposals.decodeAdd, proposals.encodeAdd],
      update_proposal: [proposals.decodeUpdate, proposals.encodeUpdate],
      remove_proposal: [proposals.decodeRemove, proposals.encodeRemove],
      pre_shared_key_proposal: [proposals.decodePSK, proposals.encodePSK],
      re_init_proposal: [proposals.decodeReinit, proposals.encodeReinit],
      external_init_proposal: [proposals.decodeExternalInit, proposals.encodeExternalInit],
      group_context_extensions_proposal: [proposals.decodeGroupContextExtensions, proposals.encodeGroupContextExtensions],
      commit: [decodeCommit, encodeCommit],
      public_message_application: mls("mls_public_message", "application"),
      public_message_proposal: mls("mls_public_message", "proposal"),
      public_message_commit: mls("mls_public_message", "commit"),
      private_message: mls("mls_private_message"),
    };
    for (const [field, [decoder, encoder, wireformat, contentType]] of Object.entries(structures)) {
      const value = await at(`${field}.decode`, () => decodeAll(field, decoder, h(c[field])));
      expect(field, c[field], await at(`${field}.encode`, () => encoder(value)));
      if (wireformat !== undefined) expect(`${field}.wire_format`, wireformat, value.wireformat);
      if (contentType !== undefined) expect(`${field}.content_type`, contentType, value.publicMessage.content.contentType);
    }
  },
};

export const VECTOR_FORMATS = Object.keys(FORMATS);

// {passed, detail} for one case; an unknown format is not ours to judge
export async function verifyVector(format, testCase) {
  const verify = FORMATS[format];
  if (verify === undefined) return undefined;
  try {
    await verify(testCase);
  } catch (e) { // a step outside at() that throws fails the case too, named by its error
    return { passed: false, detail: e instanceof Failed ? e.message : `${e?.name ?? "Error"}: ${e?.message ?? e}` };
  }
  return { passed: true, detail: "" };
}
