#!/usr/bin/env node
// xmtp-conformance adapter for OpenMLS, as Wire's client core runs it: npm @wireapp/core-crypto 10.3.0
// (GPL-3.0; its ./browser build, OpenMLS compiled to WebAssembly, loaded by openmls.mjs).
//
// The harness starts this program and speaks JSON-RPC 2.0 to it, one JSON object per line: requests on
// stdin, answers on stdout (stderr is for logs). It answers `hello`, `reset` and the part of the `mls`
// capability (conformance/adapter/protocol.py) that core-crypto's API offers, in cipher suites 1, 2 and 3;
// the rest is answered `unsupported` with the reason (README.md).
//
//   .venv/bin/xmtp-conformance run --adapter openmls --skip-file interop/openmls/known-issues.skip

import { ProtocolError, fromHex, internal, rejected, serve, toHex, unsupported } from "../jsonrpc.mjs";
import { CORE_CRYPTO_VERSION, EXPORTER_LABEL, Member, NotAKeyPackage, cc } from "./openmls.mjs";

const PROTOCOL_VERSION = 2;
const CIPHER_SUITES = [1, 2, 3];

// ------------------------------------------------------------------ errors

// core-crypto refuses with a CoreCryptoError (its MLS variant names the MlsError: WrongEpoch,
// DuplicateMessage, MessageRejected, Other ...); anything else is a bug, reported as internal.
function asRefusal(e) {
  if (e instanceof ProtocolError) return e;
  if (e instanceof NotAKeyPackage) return rejected("decode_error", e.message);
  if (cc.CoreCryptoError.instanceOf(e)) {
    const mls = e.inner?.mlsError;
    return rejected(mls ? `core-crypto.Mls.${mls.tag}` : `core-crypto.${e.tag}`,
      mls?.inner?.msg ?? e.message);
  }
  return e;
}

// ------------------------------------------------------------------ members

const members = new Map(); // name -> Member

function member(name, inGroup = true) {
  const m = members.get(name);
  if (m === undefined) throw internal("unknown_member", name);
  if (inGroup && m.conversation === undefined) throw internal("no_group", name);
  return m;
}

const noPrivate = (p) => {
  if (p.private) throw unsupported("no_private_handshake", "core-crypto sends handshake messages as PublicMessages only");
};

const operations = {
  hello: async () => ({
    protocol_version: PROTOCOL_VERSION, name: "openmls", version: `core-crypto ${CORE_CRYPTO_VERSION}`,
    capabilities: { mls: { cipher_suites: CIPHER_SUITES } },
  }),

  reset: async () => {
    members.clear();
    return {};
  },

  "mls.new_member": async (p) => {
    if (!CIPHER_SUITES.includes(p.cipher_suite)) throw unsupported("cipher_suite", `cipher suite ${p.cipher_suite}`);
    const m = await Member.create(p.cipher_suite, fromHex(p.identity, "identity"));
    members.set(p.member, m);
    return { key_package: toHex(await m.keyPackage()) };
  },

  "mls.create_group": async (p) => {
    const m = member(p.member, false);
    await m.createGroup(fromHex(p.group_id, "group_id"));
    return { epoch: await m.epoch() };
  },

  "mls.join": async (p) => {
    const m = member(p.member, false);
    // core-crypto takes the tree from the Welcome's ratchet_tree extension only (RFC 9420 §12.4.3.3)
    await m.join(fromHex(p.welcome, "welcome"));
    return { epoch: await m.epoch() };
  },

  "mls.propose": async () => {
    throw unsupported("no_proposal_api", "core-crypto creates no standalone proposals");
  },

  "mls.commit": async (p) => {
    const m = member(p.member);
    noPrivate(p);
    if (!(p.inline_tree ?? true)) throw unsupported("inline_tree", "core-crypto always puts the tree in its GroupInfo");
    const adds = p.add ?? [];
    if ((p.remove ?? []).length) throw unsupported("remove_by_leaf", "core-crypto removes clients by Wire client id, not by leaf");
    const bundle = adds.length ? await m.add(adds.map((hex) => fromHex(hex, "add"))) : await m.commitPending();
    return {
      commit: toHex(bundle.commit), welcome: bundle.welcome === undefined ? null : toHex(bundle.welcome.serialize()),
      ratchet_tree: toHex(bundle.ratchetTree),
    };
  },

  // core-crypto merges its commit as soon as the transport accepted it (at mls.commit)
  "mls.merge": async (p) => ({ epoch: await member(p.member).epoch() }),

  "mls.process": async (p) => {
    const m = member(p.member);
    const decrypted = await m.process(fromHex(p.message, "message"));
    const kind = { Text: "application", Commit: "commit", Proposal: "proposal" }[decrypted.tag];
    const active = decrypted.tag === "Commit" ? decrypted.inner.isActive : true;
    return {
      kind, data: kind === "application" ? toHex(decrypted.inner.plaintext) : null,
      epoch: active ? await m.epoch() : Number(m.lastEpoch) + 1, active,
    };
  },

  "mls.protect": async (p) => ({ message: toHex(await member(p.member).protect(fromHex(p.data, "data"))) }),

  "mls.state": async () => {
    throw unsupported("no_epoch_authenticator", "core-crypto reports neither the epoch authenticator nor the tree hash");
  },

  "mls.export": async (p) => {
    const m = member(p.member);
    if (p.label !== toHex(EXPORTER_LABEL) || p.context !== "") {
      throw unsupported("exporter_label", "core-crypto exports with its own label (\"exporter\") and an empty context only");
    }
    return { secret: toHex(await m.exportSecret(p.length)) };
  },
};

// Operations that read a peer's input: any refusal by core-crypto is a refusal of that input.
const REFUSABLE = new Set(["mls.join", "mls.process", "mls.commit"]);

await serve(operations, (e, method) => (REFUSABLE.has(method) ? asRefusal(e) : e));
