// mls.answer for the adapter: the questions of the official RFC 9420 test vectors (conformance/rfc9420,
// docs/adapters.md), answered with ts-mls's own exported functions. The adapter computes; the harness
// compares with the vectors' outputs and verifies what ts-mls signs, encrypts, protects or builds.
// Every format but passive-client (driven through the mls operations) is answered.

import { ciphersuites, decodeMlsMessage, encodeMlsMessage, getCiphersuiteFromName, getCiphersuiteImpl, mlsExporter } from "ts-mls";
import { decodeAuthenticatedContent } from "ts-mls/authenticatedContent.js";
import { encode } from "ts-mls/codec/tlsEncoder.js";
import { determineLength, lengthEncoder } from "ts-mls/codec/variableLength.js";
import { decodeCommit, encodeCommit } from "ts-mls/commit.js";
import { applyUpdatePathSecret } from "ts-mls/createCommit.js";
import { refhash } from "ts-mls/crypto/hash.js";
import { decryptWithLabel, encryptWithLabel } from "ts-mls/crypto/hpke.js";
import { deriveSecret, deriveTreeSecret, expandWithLabel } from "ts-mls/crypto/kdf.js";
import { signWithLabel, verifyWithLabel } from "ts-mls/crypto/signature.js";
import { extensionTypeToNumber } from "ts-mls/extension.js";
import { signFramedContentTBS, toTbs, verifyConfirmationTag } from "ts-mls/framedContent.js";
import { encodeGroupContext } from "ts-mls/groupContext.js";
import { verifyGroupInfoConfirmationTag, verifyGroupInfoSignature } from "ts-mls/groupInfo.js";
import { decodeGroupSecrets, encodeGroupSecrets } from "ts-mls/groupSecrets.js";
import { makeKeyPackageRef } from "ts-mls/keyPackage.js";
import { initializeEpoch } from "ts-mls/keySchedule.js";
import { verifyLeafNodeSignature } from "ts-mls/leafNode.js";
import { protect, unprotectPrivateMessage } from "ts-mls/messageProtection.js";
import { protectPublicMessage, unprotectPublicMessage } from "ts-mls/messageProtectionPublic.js";
import { MlsError } from "ts-mls/mlsError.js";
import { verifyParentHashes } from "ts-mls/parentHash.js";
import { getCommitSecret, pathToRoot } from "ts-mls/pathSecrets.js";
import { computePskSecret } from "ts-mls/presharedkey.js";
import { toPrivateKeyPath } from "ts-mls/privateKeyPath.js";
import * as proposals from "ts-mls/proposal.js";
import {
  addLeafNode, decodeRatchetTree, encodeRatchetTree, removeLeafNode, resolution, updateLeafNode,
} from "ts-mls/ratchetTree.js";
import { createSecretTree, ratchetToGeneration } from "ts-mls/secretTree.js";
import { expandSenderDataKey, expandSenderDataNonce } from "ts-mls/sender.js";
import { createConfirmedHash, createInterimHash } from "ts-mls/transcriptHash.js";
import { treeHash, treeHashRoot } from "ts-mls/treeHash.js";
import { directPath, leafWidth, left, nodeWidth, parent, right, root, sibling } from "ts-mls/treemath.js";
import { applyUpdatePath, createUpdatePath, decodeUpdatePath, encodeUpdatePath } from "ts-mls/updatePath.js";
import { decryptGroupInfo, decryptGroupSecrets } from "ts-mls/welcome.js";

// ------------------------------------------------------------------ helpers

// ts-mls refuses an input with an MlsError (ValidationError, CodecError, CryptoVerificationError, ...); the
// crypto libraries underneath refuse a bad AEAD tag, HPKE ciphertext or key with their own errors (WebCrypto's
// OperationError and DataError, @hpke's OpenError and DecapError, noble's "invalid tag"). A TypeError or the
// like is a bug, not a refusal.
export function isRefusal(e) {
  return e instanceof MlsError || e instanceof Refused || ["OperationError", "DataError", "OpenError", "DecapError",
    "DeserializeError"].includes(e?.name) || /invalid tag|invalid signature/i.test(e?.message ?? "");
}

// an input ts-mls's decoders do not take (does not decode, or bytes left over)
export class Refused extends Error {
  constructor(message) {
    super(message);
    this.name = "Refused";
  }
}

// hex strings of the questions and answers
export const h = (value) => Uint8Array.from(Buffer.from(value, "hex"));
export const hex = (bytes) => Buffer.from(bytes).toString("hex");

// a decoder that must consume every byte
function decodeAll(what, decoder, bytes) {
  const decoded = decoder(bytes, 0);
  if (decoded === undefined) throw new Refused(`${what}: does not decode`);
  if (decoded[1] !== bytes.length) throw new Refused(`${what}: ${bytes.length - decoded[1]} bytes left over`);
  return decoded[0];
}

// {valid: false} where ts-mls refuses, else {valid: true, ...compute()}
async function validity(compute) {
  try {
    return { valid: true, ...await compute() };
  } catch (e) {
    if (isRefusal(e)) return { valid: false };
    throw e;
  }
}

const suiteNames = new Map(Object.entries(ciphersuites).map(([name, id]) => [id, name]));
const impls = new Map();
function suite(id) {
  if (!impls.has(id)) impls.set(id, getCiphersuiteImpl(getCiphersuiteFromName(suiteNames.get(id))));
  return impls.get(id);
}

const orNull = (f) => { try { return f(); } catch { return null; } };

// GroupContext(mls10, cipher_suite, group_id, epoch, tree_hash, confirmed_transcript_hash, no extensions)
const groupContext = (q, epoch, treeHash) => ({
  version: "mls10", cipherSuite: suiteNames.get(q.cipher_suite), groupId: h(q.group_id), epoch: BigInt(epoch),
  treeHash, confirmedTranscriptHash: h(q.confirmed_transcript_hash), extensions: [],
});

const decodeProposal = (what, bytes) => decodeAll(what, proposals.decodeProposal, bytes);

// ------------------------------------------------------------------ the formats

const cryptoBasics = {
  ref_hash: async (q, cs) => ({ out: hex(await refhash(q.label, h(q.value), cs.hash)) }),
  expand_with_label: async (q, cs) => ({ out: hex(await expandWithLabel(h(q.secret), q.label, h(q.context), q.length, cs.kdf)) }),
  derive_secret: async (q, cs) => ({ out: hex(await deriveSecret(h(q.secret), q.label, cs.kdf)) }),
  derive_tree_secret: async (q, cs) => ({ out: hex(await deriveTreeSecret(h(q.secret), q.label, q.generation, q.length, cs.kdf)) }),
  sign_with_label: async (q, cs) => ({ signature: hex(await signWithLabel(h(q.priv), q.label, h(q.content), cs.signature)) }),
  verify_with_label: async (q, cs) => ({
    valid: await Promise.all(q.signatures.map(async (s) => {
      try {
        return await verifyWithLabel(h(q.pub), q.label, h(q.content), h(s), cs.signature);
      } catch (e) {
        if (isRefusal(e)) return false;
        throw e;
      }
    })),
  }),
  encrypt_with_label: async (q, cs) => {
    const pub = await cs.hpke.importPublicKey(h(q.pub));
    const { ct, enc } = await encryptWithLabel(pub, q.label, h(q.context), h(q.plaintext), cs.hpke);
    return { kem_output: hex(enc), ciphertext: hex(ct) };
  },
  decrypt_with_label: async (q, cs) => {
    const priv = await cs.hpke.importPrivateKey(h(q.priv));
    return { plaintext: hex(await decryptWithLabel(priv, q.label, h(q.context), h(q.kem_output), h(q.ciphertext), cs.hpke)) };
  },
};

// messages: vector field -> [decoder, encoder, the fields a decoding shows (conformance/rfc9420/messages.py FIELDS)]
function messageFields(m) {
  const fields = { wire_format: m.wireformat };
  if (m.wireformat === "mls_public_message") {
    const c = m.publicMessage.content;
    Object.assign(fields, { content_type: c.contentType, group_id: hex(c.groupId), epoch: Number(c.epoch) });
  } else if (m.wireformat === "mls_private_message") {
    const p = m.privateMessage;
    Object.assign(fields, { content_type: p.contentType, group_id: hex(p.groupId), epoch: Number(p.epoch) });
  } else if (m.wireformat === "mls_welcome") {
    Object.assign(fields, { cipher_suite: ciphersuites[m.welcome.cipherSuite], secrets: m.welcome.secrets.length });
  } else if (m.wireformat === "mls_group_info") {
    const gc = m.groupInfo.groupContext;
    Object.assign(fields, { group_id: hex(gc.groupId), epoch: Number(gc.epoch) });
  } else if (m.wireformat === "mls_key_package") {
    Object.assign(fields, { cipher_suite: ciphersuites[m.keyPackage.cipherSuite], init_key: hex(m.keyPackage.initKey) });
  }
  return fields;
}

const mlsMessage = [decodeMlsMessage, encodeMlsMessage, messageFields];
const STRUCTURES = {
  mls_welcome: mlsMessage, mls_group_info: mlsMessage, mls_key_package: mlsMessage,
  ratchet_tree: [decodeRatchetTree, encodeRatchetTree, (nodes) => ({ nodes: nodes.length })],
  group_secrets: [decodeGroupSecrets, encodeGroupSecrets, (v) => ({ joiner_secret: hex(v.joinerSecret) })],
  add_proposal: [proposals.decodeAdd, proposals.encodeAdd, (v) => ({ init_key: hex(v.keyPackage.initKey) })],
  update_proposal: [proposals.decodeUpdate, proposals.encodeUpdate, (v) => ({ encryption_key: hex(v.leafNode.hpkePublicKey) })],
  remove_proposal: [proposals.decodeRemove, proposals.encodeRemove, (v) => ({ removed: v.removed })],
  pre_shared_key_proposal: [proposals.decodePSK, proposals.encodePSK, (v) => ({ psk_nonce: hex(v.preSharedKeyId.pskNonce) })],
  re_init_proposal: [proposals.decodeReinit, proposals.encodeReinit,
    (v) => ({ group_id: hex(v.groupId), cipher_suite: ciphersuites[v.cipherSuite] })],
  external_init_proposal: [proposals.decodeExternalInit, proposals.encodeExternalInit, (v) => ({ kem_output: hex(v.kemOutput) })],
  group_context_extensions_proposal: [proposals.decodeGroupContextExtensions, proposals.encodeGroupContextExtensions,
    (v) => ({ extension_types: v.extensions.map((e) => extensionTypeToNumber(e.extensionType)) })],
  commit: [decodeCommit, encodeCommit, (v) => ({ proposals: v.proposals.length, path: v.path !== undefined })],
  public_message_application: mlsMessage, public_message_proposal: mlsMessage, public_message_commit: mlsMessage,
  private_message: mlsMessage,
};

// message-protection: the content of a FramedContent, decoded and encoded (a Proposal, a Commit, application data)
const CONTENTS = {
  application: [(bytes) => ({ contentType: "application", applicationData: bytes }), (c) => c.applicationData],
  proposal: [(bytes) => ({ contentType: "proposal", proposal: decodeProposal("proposal", bytes) }),
    (c) => proposals.encodeProposal(c.proposal)],
  commit: [(bytes) => ({ contentType: "commit", commit: decodeAll("commit", decodeCommit, bytes) }), (c) => encodeCommit(c.commit)],
};
const SENDER = { senderType: "member", leafIndex: 1 }; // the vectors' sender: leaf 1 of two
const KEEP_ALL = { retainKeysForGenerations: 1000, retainKeysForEpochs: 1, maximumForwardRatchetSteps: 1 << 20 };
const secretTreeOf = (q, cs) => createSecretTree(2, h(q.encryption_secret), cs.kdf);

// treekem: the lowest common ancestor of two leaves (RFC 9420 §4.1)
function commonAncestor(a, b, width) {
  const above = new Set(directPath(2 * b, leafWidth(width)));
  return directPath(2 * a, leafWidth(width)).find((x) => above.has(x));
}

// treekem: one member's node index -> HPKE private key, from its leaf key and the path secrets it holds
async function privatePath(entry, cs) {
  const secrets = Object.fromEntries(entry.path_secrets.map((p) => [p.node, h(p.path_secret)]));
  const path = await toPrivateKeyPath(secrets, entry.index, cs);
  path.privateKeys[2 * entry.index] = h(entry.encryption_priv);
  return path;
}

const FORMATS = {
  "tree-math": async (q) => {
    const n = q.n_leaves;
    const width = nodeWidth(n);
    const relations = { left, right, parent: (x) => parent(x, n), sibling: (x) => sibling(x, n) };
    const nodes = [...Array(width).keys()];
    return { n_nodes: width, root: root(n),
      ...Object.fromEntries(Object.entries(relations).map(([name, f]) => [name, nodes.map((x) => orNull(() => f(x)))])) };
  },

  deserialization: async (q) => {
    if (q.ask === "encode_varint") return { vlbytes_header: hex(encode(() => lengthEncoder(q.length))(undefined)) };
    const header = h(q.vlbytes_header);
    const { length, lengthFieldSize } = determineLength(header, 0);
    if (lengthFieldSize !== header.length) throw new Refused(`vlbytes_header: ${header.length - lengthFieldSize} bytes left over`);
    return { length };
  },

  "crypto-basics": async (q) => {
    const ask = cryptoBasics[q.ask];
    if (ask === undefined) throw new Refused(`crypto-basics: no question ${q.ask}`);
    return ask(q, await suite(q.cipher_suite));
  },

  "secret-tree": async (q) => {
    const cs = await suite(q.cipher_suite);
    if (q.ask === "sender_data") {
      const [secret, ciphertext] = [h(q.sender_data_secret), h(q.ciphertext)];
      return { key: hex(await expandSenderDataKey(cs, secret, ciphertext)), nonce: hex(await expandSenderDataNonce(cs, secret, ciphertext)) };
    }
    // receiver-style: each leaf's ratchets are asked for the listed generations, in order
    let tree = await createSecretTree(q.generations.length, h(q.encryption_secret), cs.kdf);
    const reuseGuard = new Uint8Array(4); // all zero: the nonce comes out as derived
    const leaves = [];
    for (const [leafIndex, generations] of q.generations.entries()) {
      const steps = [];
      for (const generation of generations) {
        const step = {};
        for (const [name, contentType] of [["handshake", "commit"], ["application", "application"]]) {
          const r = await ratchetToGeneration(tree, { leafIndex, generation, reuseGuard }, contentType, KEEP_ALL, cs);
          Object.assign(step, { [`${name}_key`]: hex(r.key), [`${name}_nonce`]: hex(r.nonce) });
          tree = r.newTree;
        }
        steps.push(step);
      }
      leaves.push(steps);
    }
    return { leaves };
  },

  "psk-secret": async (q) => {
    const cs = await suite(q.cipher_suite);
    const psks = q.psks.map((p) => [{ psktype: "external", pskId: h(p.psk_id), pskNonce: h(p.psk_nonce) }, h(p.psk)]);
    return { psk_secret: hex(await computePskSecret(psks, cs)) };
  },

  "key-schedule": async (q) => {
    const cs = await suite(q.cipher_suite);
    const zero = new Uint8Array(cs.kdf.size);
    let initSecret = h(q.initial_init_secret);
    const epochs = [];
    for (const [epoch, v] of q.epochs.entries()) {
      const context = groupContext({ ...q, confirmed_transcript_hash: v.confirmed_transcript_hash }, epoch, h(v.tree_hash));
      const psk = v.psk_secret == null ? zero : h(v.psk_secret);
      const commit = v.commit_secret == null ? zero : h(v.commit_secret);
      const s = await initializeEpoch(initSecret, commit, context, psk, cs.kdf);
      const k = s.keySchedule;
      const { publicKey } = await cs.hpke.deriveKeyPair(k.externalSecret);
      const x = v.exporter;
      epochs.push({
        group_context: hex(encodeGroupContext(context)),
        joiner_secret: hex(s.joinerSecret), welcome_secret: hex(s.welcomeSecret), init_secret: hex(k.initSecret),
        sender_data_secret: hex(k.senderDataSecret), encryption_secret: hex(s.encryptionSecret),
        exporter_secret: hex(k.exporterSecret), epoch_authenticator: hex(k.epochAuthenticator),
        external_secret: hex(k.externalSecret), confirmation_key: hex(k.confirmationKey),
        membership_key: hex(k.membershipKey), resumption_psk: hex(k.resumptionPsk),
        external_pub: hex(await cs.hpke.exportPublicKey(publicKey)),
        exporter: { secret: hex(await mlsExporter(k.exporterSecret, x.label, h(x.context), x.length, cs)) },
      });
      initSecret = k.initSecret;
    }
    return { epochs };
  },

  "transcript-hashes": async (q) => {
    const cs = await suite(q.cipher_suite);
    return validity(async () => {
      const ac = decodeAll("authenticated_content", decodeAuthenticatedContent, h(q.authenticated_content));
      if (ac.content.contentType !== "commit") throw new Refused("not a commit");
      const confirmed = await createConfirmedHash(h(q.interim_transcript_hash_before),
        { wireformat: ac.wireformat, content: ac.content, signature: ac.auth.signature }, cs.hash);
      if (!await verifyConfirmationTag(h(q.confirmation_key), ac.auth.confirmationTag, confirmed, cs.hash)) {
        throw new Refused("confirmation_tag does not verify");
      }
      return { confirmed_transcript_hash_after: hex(confirmed),
        interim_transcript_hash_after: hex(await createInterimHash(confirmed, ac.auth.confirmationTag, cs.hash)) };
    });
  },

  welcome: async (q) => {
    const cs = await suite(q.cipher_suite);
    return validity(async () => {
      const kp = decodeAll("key_package", decodeMlsMessage, h(q.key_package));
      const w = decodeAll("welcome", decodeMlsMessage, h(q.welcome));
      if (kp.wireformat !== "mls_key_package" || w.wireformat !== "mls_welcome") throw new Refused("wire formats");
      const { welcome } = w;
      const ref = await makeKeyPackageRef(kp.keyPackage, cs.hash);
      if (welcome.secrets.filter((s) => hex(s.newMember) === hex(ref)).length !== 1) throw new Refused("key package ref");
      const secrets = await decryptGroupSecrets(await cs.hpke.importPrivateKey(h(q.init_priv)), ref, welcome, cs.hpke);
      if (secrets === undefined) throw new Refused("group secrets do not decrypt");
      const pskSecret = new Uint8Array(cs.kdf.size); // the format has no PSKs
      const groupInfo = await decryptGroupInfo(welcome, secrets.joinerSecret, pskSecret, cs);
      if (groupInfo === undefined) throw new Refused("group info does not decrypt");
      if (!await verifyGroupInfoSignature(groupInfo, h(q.signer_pub), cs.signature)) throw new Refused("signature");
      if (!await verifyGroupInfoConfirmationTag(groupInfo, secrets.joinerSecret, pskSecret, cs)) throw new Refused("confirmation tag");
      return { joiner_secret: hex(secrets.joinerSecret), group_context: hex(encodeGroupContext(groupInfo.groupContext)) };
    });
  },

  "tree-validation": async (q) => {
    const cs = await suite(q.cipher_suite);
    const tree = decodeAll("tree", decodeRatchetTree, h(q.tree));
    let valid;
    try {
      valid = await verifyParentHashes(tree, cs.hash);
      for (let x = 0; x < tree.length && valid; x += 2) {
        if (tree[x] !== undefined) valid = await verifyLeafNodeSignature(tree[x].leaf, h(q.group_id), x / 2, cs.signature);
      }
    } catch (e) {
      if (!isRefusal(e)) throw e;
      valid = false;
    }
    const nodes = [...tree.keys()];
    return { valid, resolutions: nodes.map((x) => resolution(tree, x)),
      tree_hashes: await Promise.all(nodes.map(async (x) => hex(await treeHash(tree, x, cs.hash)))) };
  },

  "tree-operations": async (q) => {
    const cs = await suite(q.cipher_suite);
    let tree = decodeAll("tree_before", decodeRatchetTree, h(q.tree_before));
    const before = await treeHashRoot(tree, cs.hash);
    const proposal = decodeProposal("proposal", h(q.proposal));
    if (proposal.proposalType === "add") [tree] = addLeafNode(tree, proposal.add.keyPackage.leafNode);
    else if (proposal.proposalType === "update") tree = updateLeafNode(tree, proposal.update.leafNode, q.proposal_sender);
    else if (proposal.proposalType === "remove") tree = removeLeafNode(tree, proposal.remove.removed);
    else throw new Refused(`tree-operations: a ${proposal.proposalType} proposal`);
    return { tree_hash_before: hex(before), tree_after: hex(encodeRatchetTree(tree)), tree_hash_after: hex(await treeHashRoot(tree, cs.hash)) };
  },

  treekem: async (q) => {
    const cs = await suite(q.cipher_suite);
    const tree = decodeAll("ratchet_tree", decodeRatchetTree, h(q.ratchet_tree));
    const members = new Map(q.leaves_private.map((e) => [e.index, e]));
    const updatePaths = [];
    const newUpdatePaths = [];
    for (const { sender, update_path: wire } of q.update_paths) {
      // processing: the path merged (parent-hash valid), then each member decrypts its path secret
      const path = decodeAll("update_path", decodeUpdatePath, h(wire));
      const merged = await applyUpdatePath(tree, sender, path, cs.hash);
      if (!await verifyParentHashes(merged, cs.hash)) throw new Refused("the merged tree is not parent-hash valid");
      const mergedHash = await treeHashRoot(merged, cs.hash);
      const context = groupContext(q, q.epoch, mergedHash);
      const pathSecrets = Array(leafWidth(tree.length)).fill(null);
      const commitSecrets = Array(leafWidth(tree.length)).fill(null);
      for (const [j, entry] of members) {
        if (j === sender) continue;
        const { nodeIndex, pathSecret } = await applyUpdatePathSecret(merged, await privatePath(entry, cs), sender, context, path, [], cs);
        const secrets = await pathToRoot(merged, nodeIndex, pathSecret, cs.kdf);
        pathSecrets[j] = hex(secrets[commonAncestor(sender, j, tree.length)]);
        commitSecrets[j] = hex(await getCommitSecret(merged, nodeIndex, pathSecret, cs.kdf));
      }
      updatePaths.push({ tree_hash_after: hex(mergedHash), path_secrets: pathSecrets, commit_secrets: commitSecrets });
      // creating: createUpdatePath encrypts to the next epoch's context, so it is given the one before the case's
      const previous = groupContext(q, BigInt(q.epoch) - 1n, new Uint8Array());
      const [mine, fresh, freshSecrets] = await createUpdatePath(tree, sender, previous, h(members.get(sender).signature_priv), cs);
      const last = freshSecrets.at(-1);
      newUpdatePaths.push({ sender, update_path: hex(encodeUpdatePath(fresh)),
        commit_secret: hex(await getCommitSecret(mine, last.nodeIndex, last.secret, cs.kdf)),
        tree_hash_after: hex(await treeHashRoot(mine, cs.hash)) });
    }
    return { update_paths: updatePaths, new_update_paths: newUpdatePaths };
  },

  "message-protection": async (q) => {
    const cs = await suite(q.cipher_suite);
    const context = groupContext(q, q.epoch, h(q.tree_hash));
    if (q.ask === "unprotect") {
      return validity(async () => {
        const message = decodeAll("message", decodeMlsMessage, h(q.message));
        let ac;
        // the signature key is the case's (no ratchet tree: ts-mls takes the key as an override)
        if (message.wireformat === "mls_public_message") {
          ac = await unprotectPublicMessage(h(q.membership_key), context, [], message.publicMessage, cs, h(q.signature_pub));
        } else if (message.wireformat === "mls_private_message") {
          ({ content: ac } = await unprotectPrivateMessage(h(q.sender_data_secret), message.privateMessage,
            await secretTreeOf(q, cs), [], context, KEEP_ALL, cs, h(q.signature_pub)));
        } else {
          throw new Refused(`a ${message.wireformat}`);
        }
        const { sender, contentType } = ac.content;
        return { sender: sender.leafIndex, content_type: contentType, content: hex(CONTENTS[contentType][1](ac.content)) };
      });
    }
    const wireformat = { public: "mls_public_message", private: "mls_private_message" }[q.wire_format];
    const content = { groupId: context.groupId, epoch: context.epoch, sender: SENDER, authenticatedData: new Uint8Array(),
      ...CONTENTS[q.content_type][0](h(q.content)) };
    const signature = await signFramedContentTBS(h(q.signature_priv), toTbs(content, wireformat, context), cs.signature);
    const auth = { contentType: content.contentType, signature,
      ...(content.contentType === "commit" ? { confirmationTag: h(q.confirmation_tag) } : {}) };
    return validity(async () => {
      if (wireformat === "mls_public_message") {
        const publicMessage = await protectPublicMessage(h(q.membership_key), context, { wireformat, content, auth }, cs);
        return { message: hex(encodeMlsMessage({ version: "mls10", wireformat, publicMessage })) };
      }
      const { privateMessage } = await protect(h(q.sender_data_secret), new Uint8Array(), context, await secretTreeOf(q, cs),
        { ...content, auth }, SENDER.leafIndex, { kind: "alwaysPad", paddingLength: 17 }, cs);
      return { message: hex(encodeMlsMessage({ version: "mls10", wireformat, privateMessage })) };
    });
  },

  messages: async (q) => {
    const structure = STRUCTURES[q.structure];
    if (structure === undefined) throw new Refused(`messages: no structure ${q.structure}`);
    const [decoder, encoder, fields] = structure;
    return validity(async () => {
      const value = decodeAll(q.structure, decoder, h(q.encoded));
      return { encoded: hex(encoder(value)), fields: fields(value) };
    });
  },
};

export const VECTOR_FORMATS = Object.keys(FORMATS);

// the answer to one question of a format; undefined for a format this adapter does not answer
export async function answerQuestion(format, question) {
  const answer = FORMATS[format];
  return answer === undefined ? undefined : answer(question);
}
