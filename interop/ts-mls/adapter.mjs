#!/usr/bin/env node
// xmtp-conformance adapter for ts-mls 1.6.4 (https://github.com/LukaJCB/ts-mls), an independent
// TypeScript implementation of MLS (RFC 9420).
//
// The harness starts this program and speaks JSON-RPC 2.0 to it, one JSON object per line: requests
// on stdin, answers on stdout (stderr is for logs). It answers `hello`, `reset`, the `mls`
// capability (conformance/adapter/protocol.py) with the semantics of the reference adapter
// (conformance/adapter/reference.py), `mls.answer` for the RFC 9420 vector formats of vectors.mjs and
// `hpke.answer` for the RFC 9180 vectors (hpke.mjs).
// Every member's ts-mls ClientState lives in memory.
//
//   .venv/bin/xmtp-conformance run --adapter-cmd "node interop/ts-mls/adapter.mjs"

import {
  bytesToBase64, createApplicationMessage, createCommit, createGroup, createProposal, ciphersuites,
  decodeMlsMessage, defaultAuthenticationService, defaultCapabilities, defaultKeyPackageEqualityConfig,
  defaultLifetime, defaultLifetimeConfig, defaultPaddingConfig, encodeMlsMessage, generateKeyPackage,
  getCiphersuiteFromName, getCiphersuiteImpl, joinGroup, makePskIndex, mlsExporter, processPrivateMessage,
  processPublicMessage,
} from "ts-mls";
// Not re-exported by the package index, but public through its "./*.js" export map.
import { decodeRatchetTree, encodeRatchetTree } from "ts-mls/ratchetTree.js";
import { signLeafNodeCommit } from "ts-mls/leafNode.js";
import { ProtocolError, fromHex, internal, rejected, serve, toHex, unsupported } from "../jsonrpc.mjs";
import { HPKE_CAPABILITY, answerHpke } from "./hpke.mjs";
import { VECTOR_FORMATS, answerQuestion, isRefusal } from "./vectors.mjs";

const PROTOCOL_VERSION = 2;
const VERSION = "1.6.4"; // the ts-mls version pinned in package.json
const CIPHER_SUITES = [1, 2, 3, 4, 5, 6, 7];

// XMTP's group configuration (libxmtp: MAX_PAST_EPOCHS = 3; OpenMLS SenderRatchetConfiguration
// out_of_order_tolerance 5, maximum_forward_distance 1000), in ts-mls's terms: keys of 3 past
// epochs are kept, at most 5 skipped generations per sender ratchet, at most 1000 steps forward.
const CLIENT_CONFIG = {
  keyRetentionConfig: { retainKeysForEpochs: 3, retainKeysForGenerations: 5, maximumForwardRatchetSteps: 1000 },
  lifetimeConfig: defaultLifetimeConfig,
  keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
  paddingConfig: defaultPaddingConfig,
  authService: defaultAuthenticationService,
};

// ------------------------------------------------------------------ errors

// A refusal of the input by ts-mls or the crypto underneath (vectors.mjs isRefusal); anything else is a bug,
// reported as internal.
function asRefusal(e) {
  if (e instanceof ProtocolError) return e;
  if (isRefusal(e)) return rejected(e.name ?? "Error", e.message);
  return e;
}

// ------------------------------------------------------------------ decoding

// An MLSMessage of the expected wire format, the whole input consumed.
function decodeMessage(hex, wireformats, what) {
  const bytes = fromHex(hex, what);
  const decoded = decodeMlsMessage(bytes, 0);
  if (decoded === undefined || decoded[1] !== bytes.length) throw rejected("decode_error", `${what}: not an MLSMessage`);
  const [message] = decoded;
  if (!wireformats.includes(message.wireformat)) {
    throw rejected("wrong_wire_format", `${what}: ${message.wireformat}, expected ${wireformats.join(" or ")}`);
  }
  return message;
}

function decodeTree(hex) {
  if (hex === null || hex === undefined) return undefined;
  const bytes = fromHex(hex, "ratchet_tree");
  const decoded = decodeRatchetTree(bytes, 0);
  if (decoded === undefined || decoded[1] !== bytes.length) throw rejected("decode_error", "ratchet_tree");
  return decoded[0];
}

const keyPackageMessage = (keyPackage) =>
  encodeMlsMessage({ version: "mls10", wireformat: "mls_key_package", keyPackage });

// ------------------------------------------------------------------ cipher suites

const suites = new Map(); // suite id -> Promise<CiphersuiteImpl>
const suiteNames = new Map(Object.entries(ciphersuites).map(([name, id]) => [id, name]));

function suite(id) {
  if (!CIPHER_SUITES.includes(id)) throw unsupported("cipher_suite", `cipher suite ${id}`);
  if (!suites.has(id)) suites.set(id, getCiphersuiteImpl(getCiphersuiteFromName(suiteNames.get(id))));
  return suites.get(id);
}

const suiteOfName = (name) => suite(ciphersuites[name]);

// ------------------------------------------------------------------ members

// name -> { cs, keyPackage, privateKeys, state, pending, updateKeys, externalPsks }
//   keyPackage/privateKeys: the member's (unused) key package and its private keys;
//   state: the ts-mls ClientState of its group; pending: the CreateCommitResult awaiting mls.merge;
//   updateKeys: HPKE public key hex -> private key of its own Update proposals of this epoch.
const members = new Map();

function member(name) {
  const m = members.get(name);
  if (m === undefined) throw internal("unknown_member", name);
  return m;
}

function group(name) {
  const m = member(name);
  if (m.state === undefined) throw internal("no_group", name);
  return m;
}

const epochOf = (state) => Number(state.groupContext.epoch);
const ownLeaf = (state) => state.privatePath.leafIndex;
const pskIndex = (m) => makePskIndex(m.state, m.externalPsks);

// A new epoch: forget what belonged to the previous one.
function advance(m, state) {
  m.state = state;
  m.pending = undefined;
  m.updateKeys = new Map();
}

// ts-mls hands back the secrets it consumed, for the caller to erase (its README's usage).
const erase = (consumed) => consumed.forEach((secret) => secret.fill(0));

// ------------------------------------------------------------------ the mls operations

const operations = {
  hello: async () => ({
    protocol_version: PROTOCOL_VERSION, name: "ts-mls", version: VERSION,
    capabilities: {
      mls: { cipher_suites: CIPHER_SUITES }, "mls.vectors": { formats: VECTOR_FORMATS, cipher_suites: CIPHER_SUITES },
      hpke: HPKE_CAPABILITY,
    },
  }),

  reset: async () => {
    members.clear();
    return {};
  },

  "mls.new_member": async (p) => {
    const cs = await suite(p.cipher_suite);
    const credential = { credentialType: "basic", identity: fromHex(p.identity, "identity") };
    const { publicPackage, privatePackage } =
      await generateKeyPackage(credential, defaultCapabilities(), defaultLifetime, [], cs);
    members.set(p.member, { cs, keyPackage: publicPackage, privateKeys: privatePackage, externalPsks: {} });
    return { key_package: toHex(keyPackageMessage(publicPackage)) };
  },

  "mls.create_group": async (p) => {
    const m = member(p.member);
    const state = await createGroup(fromHex(p.group_id, "group_id"), m.keyPackage, m.privateKeys, [], m.cs,
      CLIENT_CONFIG);
    advance(m, state);
    return { epoch: epochOf(state) };
  },

  "mls.join": async (p) => {
    const m = member(p.member);
    const { welcome } = decodeMessage(p.welcome, ["mls_welcome"], "welcome");
    const state = await joinGroup(welcome, m.keyPackage, m.privateKeys, pskIndex(m), m.cs,
      decodeTree(p.ratchet_tree), undefined, CLIENT_CONFIG);
    advance(m, state);
    return { epoch: epochOf(state) };
  },

  "mls.join_with_secrets": async (p) => {
    const { keyPackage } = decodeMessage(p.key_package, ["mls_key_package"], "key_package");
    const cs = await suiteOfName(keyPackage.cipherSuite);
    const privateKeys = {
      initPrivateKey: fromHex(p.init_priv, "init_priv"),
      hpkePrivateKey: fromHex(p.encryption_priv, "encryption_priv"),
      signaturePrivateKey: fromHex(p.signature_priv, "signature_priv"),
    };
    // ts-mls looks external PSKs up by the base64 of their psk_id
    const externalPsks = Object.fromEntries(Object.entries(p.external_psks ?? {})
      .map(([id, psk]) => [bytesToBase64(fromHex(id, "psk_id")), fromHex(psk, "psk")]));
    const m = { cs, keyPackage, privateKeys, externalPsks };
    const { welcome } = decodeMessage(p.welcome, ["mls_welcome"], "welcome");
    const state = await joinGroup(welcome, keyPackage, privateKeys, makePskIndex(undefined, externalPsks), cs,
      decodeTree(p.ratchet_tree), undefined, CLIENT_CONFIG);
    advance(m, state);
    members.set(p.member, m);
    return { epoch: epochOf(state) };
  },

  "mls.propose": async (p) => {
    const m = group(p.member);
    let proposal;
    let updateKey;
    if (p.update) {
      [proposal, updateKey] = await updateProposal(m);
    } else if (p.add !== null && p.add !== undefined) {
      const { keyPackage } = decodeMessage(p.add, ["mls_key_package"], "add");
      proposal = { proposalType: "add", add: { keyPackage } };
    } else if (p.remove !== null && p.remove !== undefined) {
      proposal = { proposalType: "remove", remove: { removed: p.remove } };
    } else {
      throw internal("invalid_params", "mls.propose needs add, remove or update");
    }
    const { newState, message, consumed } = await createProposal(m.state, !p.private, proposal, m.cs);
    m.state = newState; // the proposal is cached in newState.unappliedProposals, for our next commit
    if (updateKey) m.updateKeys.set(updateKey[0], updateKey[1]);
    erase(consumed);
    return { message: toHex(encodeMlsMessage(message)) };
  },

  "mls.commit": async (p) => {
    const m = group(p.member);
    const extraProposals = [
      ...(p.add ?? []).map((hex) => ({
        proposalType: "add", add: { keyPackage: decodeMessage(hex, ["mls_key_package"], "add").keyPackage },
      })),
      ...(p.remove ?? []).map((removed) => ({ proposalType: "remove", remove: { removed } })),
    ];
    // createCommit covers every cached proposal (received or sent this epoch) by reference, and
    // extraProposals by value. Its newState is kept aside until mls.merge.
    const result = await createCommit({ state: m.state, cipherSuite: m.cs, pskIndex: pskIndex(m) }, {
      wireAsPublicMessage: !p.private, extraProposals, ratchetTreeExtension: p.inline_tree ?? true,
    });
    m.pending = result;
    const welcome = result.welcome === undefined ? null
      : toHex(encodeMlsMessage({ version: "mls10", wireformat: "mls_welcome", welcome: result.welcome }));
    return {
      commit: toHex(encodeMlsMessage(result.commit)), welcome,
      ratchet_tree: toHex(encodeRatchetTree(result.newState.ratchetTree)),
    };
  },

  "mls.merge": async (p) => {
    const m = group(p.member);
    if (m.pending === undefined) throw internal("no_pending_commit", p.member);
    const { newState, consumed } = m.pending;
    advance(m, newState);
    erase(consumed);
    return { epoch: epochOf(newState) };
  },

  "mls.process": async (p) => {
    const m = group(p.member);
    const message = decodeMessage(p.message, ["mls_public_message", "mls_private_message"], "message");
    // Our own Update proposals, committed by another member: ts-mls keeps no private key for the
    // new leaf, so before it decrypts the commit's path we put that key in (a copy of) our path.
    const work = { ...m.state, privatePath: { ...m.state.privatePath, privateKeys: { ...m.state.privatePath.privateKeys } } };
    const own = ownLeaf(work);
    const callback = (incoming) => {
      if (incoming.kind === "commit") {
        for (const { proposal, senderLeafIndex } of incoming.proposals) {
          if (proposal.proposalType !== "update" || senderLeafIndex !== own) continue;
          const key = m.updateKeys.get(toHex(proposal.update.leafNode.hpkePublicKey));
          if (key !== undefined) work.privatePath.privateKeys[2 * own] = key;
        }
      }
      return "accept";
    };
    // processMessage would drop the PSK index for PrivateMessages; call the two functions directly.
    let result;
    let contentType;
    if (message.wireformat === "mls_public_message") {
      contentType = message.publicMessage.content.contentType;
      result = { kind: "newState", ...await processPublicMessage(work, message.publicMessage, pskIndex(m), m.cs, callback) };
    } else {
      contentType = message.privateMessage.contentType;
      result = await processPrivateMessage(work, message.privateMessage, pskIndex(m), m.cs, callback);
    }
    const { newState } = result;
    if (contentType === "commit") advance(m, newState); else m.state = newState;
    erase(result.consumed);
    return {
      kind: result.kind === "applicationMessage" ? "application" : contentType,
      data: result.kind === "applicationMessage" ? toHex(result.message) : null,
      epoch: epochOf(newState), active: newState.groupActiveState.kind === "active",
    };
  },

  "mls.protect": async (p) => {
    const m = group(p.member);
    const { newState, privateMessage, consumed } = await createApplicationMessage(m.state, fromHex(p.data, "data"), m.cs);
    m.state = newState;
    erase(consumed);
    return { message: toHex(encodeMlsMessage({ version: "mls10", wireformat: "mls_private_message", privateMessage })) };
  },

  "mls.state": async (p) => {
    const { state } = group(p.member);
    const members = {};
    state.ratchetTree.forEach((node, index) => {
      if (index % 2 === 0 && node !== undefined) members[String(index / 2)] = toHex(node.leaf.credential.identity ?? new Uint8Array());
    });
    return {
      epoch: epochOf(state), epoch_authenticator: toHex(state.keySchedule.epochAuthenticator),
      tree_hash: toHex(state.groupContext.treeHash), own_leaf: ownLeaf(state), members,
    };
  },

  "mls.export": async (p) => {
    const m = group(p.member);
    // ts-mls takes the label as a string (UTF-8 encoded); other labels cannot be given to it
    let label;
    try {
      label = new TextDecoder("utf-8", { fatal: true }).decode(fromHex(p.label, "label"));
    } catch (e) {
      if (e instanceof ProtocolError) throw e;
      throw unsupported("non_utf8_label", "ts-mls's mlsExporter takes the label as a string");
    }
    const secret = await mlsExporter(m.state.keySchedule.exporterSecret, label, fromHex(p.context, "context"), p.length, m.cs);
    return { secret: toHex(secret) };
  },

  "mls.answer": async (p) => {
    const answer = await answerQuestion(p.format, p.question);
    if (answer === undefined) throw unsupported("unknown_format", p.format);
    return { answer };
  },

  "hpke.answer": async (p) => {
    const q = p.question;
    const answer = await answerHpke(q);
    if (answer === undefined) {
      throw unsupported("hpke_suite", `mode ${q.mode}, KEM ${q.kem_id}, KDF ${q.kdf_id}, AEAD ${q.aead_id}`);
    }
    return { answer };
  },
};

// RFC 9420 §12.1.2: an Update proposal with a fresh HPKE key in our leaf; returns the proposal and
// [public key hex, private key] to remember until the proposal is committed.
async function updateProposal(m) {
  const { state, cs } = m;
  const own = ownLeaf(state);
  const { leaf } = state.ratchetTree[2 * own];
  const keys = await cs.hpke.generateKeyPair();
  const hpkePublicKey = await cs.hpke.exportPublicKey(keys.publicKey);
  // signLeafNodeCommit signs any LeafNodeTBS; group_id and leaf_index are in the TBS of an update
  const { groupId, leafIndex, ...leafNode } = await signLeafNodeCommit({
    hpkePublicKey, signaturePublicKey: leaf.signaturePublicKey, credential: leaf.credential,
    capabilities: leaf.capabilities, leafNodeSource: "update", extensions: leaf.extensions,
    groupId: state.groupContext.groupId, leafIndex: own,
  }, state.signaturePrivateKey, cs.signature);
  return [{ proposalType: "update", update: { leafNode } }, [toHex(hpkePublicKey), await cs.hpke.exportPrivateKey(keys.privateKey)]];
}

// Operations that read a peer's input: any MLS-level failure is a refusal of that input.
const REFUSABLE = new Set([
  "mls.join", "mls.join_with_secrets", "mls.process", "mls.propose", "mls.commit", "mls.protect", "mls.answer",
]);

await serve(operations, (e, method) => (REFUSABLE.has(method) ? asRefusal(e) : e));
