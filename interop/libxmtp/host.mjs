// The libxmtp host of the xmtp-conformance libxmtp adapter: the adapter protocol's operations (the `clients`
// capability) over @xmtp/node-bindings, the native library that @xmtp/node-sdk wraps.
//
//   adapter.mjs forks `host.mjs VERSION`
//
// with the bindings installed in versions/VERSION/ (its package.json and lockfile pin them);
// versions/VERSION/bindings.mjs gives the calls whose names or shapes differ between versions.
//
// The harness (interop/served_adapter.py) starts a gRPC server speaking XMTP's MlsApi and
// IdentityApi from its delivery-service model and runs adapter.mjs with XMTP_API_URL set to it.
// Every libxmtp client created here talks to that URL over h2c; this program never makes `ds.*`
// calls. Each request line arrives from adapter.mjs over Node's IPC channel and its answer goes back
// the same way. This process's stdout belongs to libxmtp's structured log (JSON lines), with a mark
// line written before and after each call, so adapter.mjs knows which records the call logged; stderr
// is for logs of this program. Semantics and JSON shapes follow conformance/adapter/reference.py.
//
// Why the bindings and not @xmtp/node-sdk: node-sdk 5.5.0's Client.create looks the wallet's inbox
// id up at the *environment's* URL (getInboxIdForIdentifier ignores `apiUrl`), so a client cannot
// be pointed at a server on another port. The host makes the calls node-sdk makes (createClient,
// createInboxSignatureRequest, addEcdsaSignature, registerIdentity, ...) itself, with the harness's URL.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { ProtocolError, internal, rejected, respond, unsupported } from "../jsonrpc.mjs";
import { refusalClassOf } from "./refusals.mjs";

const PROTOCOL_VERSION = 2;
const VERSION_DIRECTORY = new URL(`./versions/${process.argv[2]}/`, import.meta.url);
const { xmtp, secp256k1, keccak_256, bindings } = await import(new URL("bindings.mjs", VERSION_DIRECTORY));
// The installed @xmtp/node-bindings, as the version folder's lockfile pins it.
const BINDINGS_VERSION = JSON.parse(readFileSync(
  new URL("node_modules/@xmtp/node-bindings/package.json", VERSION_DIRECTORY), "utf8")).version;
const API_URL = process.env.XMTP_API_URL;
const HISTORY_URL = process.env.XMTP_HISTORY_URL; // device sync's HTTP history server (interop/history_server.py)
// libxmtp's log, structured, on stdout: at least its errors (a refused commit of a client's own is known from
// its log only), more if XMTP_ADAPTER_LOG_LEVEL asks (Warn, Info, Debug, Trace); adapter.mjs reads it.
const LOG_OPTIONS = { structured: true,
  level: [undefined, "", "Off", "Error"].includes(process.env.XMTP_ADAPTER_LOG_LEVEL) ? "Error" : process.env.XMTP_ADAPTER_LOG_LEVEL };
// The line adapter.mjs chose to mark each call's start and end in this process's stdout.
const CALL_MARK = process.env.XMTP_ADAPTER_CALL_MARK;

// stdout carries libxmtp's log and the marks only.
console.log = console.info = console.debug = (...args) => console.error(...args);

// ------------------------------------------------------------------ errors

// libxmtp errors reach JS as Error objects whose message names the Rust error, e.g.
// "[GroupError::...] ..." or "api client error ... 'The service is currently unavailable'".
// A transport failure (the harness's fault injection answers UNAVAILABLE) is `network`; any other
// error libxmtp raises is a refusal of the action; JS errors of this program are `internal`.
const NETWORK = /unavailable|tcp connect error|transport error|connection refused|timed out/i;

function classify(e) {
  if (e instanceof ProtocolError) return e;
  const message = String(e?.message ?? e);
  if (e instanceof TypeError || e instanceof RangeError || e instanceof SyntaxError || e instanceof ReferenceError) {
    return internal(e.name, message);
  }
  if (NETWORK.test(message)) return new ProtocolError("network", "unavailable", message, "network");
  // "synced N messages, M failed ...": a sync whose own intent failed (e.g. its commit was refused).
  if (/^synced \d+ messages/.test(message)) return rejected("intent_failed", message, refusalClassOf(message));
  // Otherwise the reason is the error's name if it has one ("[GroupError::...]"), else its first words.
  const named = message.match(/\[([A-Za-z]+(?:::[A-Za-z]+)*)\]/);
  const words = message.split(/[:(\[]/)[0].trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
  return rejected(named ? named[1] : words.slice(0, 60) || "libxmtp_error", message, refusalClassOf(message));
}

// ------------------------------------------------------------------ wallets (ERC-191 signatures)

const hex = (bytes) => Buffer.from(bytes).toString("hex");

function walletFromKey(keyHex) {
  const key = Uint8Array.from(Buffer.from(keyHex, "hex"));
  const publicKey = secp256k1.getPublicKey(key, false); // 0x04 || x || y
  const address = "0x" + hex(keccak_256(publicKey.slice(1)).slice(-20));
  return {
    key,
    identifier: { identifier: address, identifierKind: xmtp.IdentifierKind.Ethereum },
    // personal_sign: keccak256("\x19Ethereum Signed Message:\n" + len + message), 65 bytes r || s || v (27/28)
    sign(text) {
      const message = new TextEncoder().encode(text);
      const prefix = new TextEncoder().encode(`\x19Ethereum Signed Message:\n${message.length}`);
      const digest = keccak_256(Uint8Array.from([...prefix, ...message]));
      const recovered = secp256k1.sign(digest, key, { prehash: false, format: "recovered" }); // v || r || s
      return Uint8Array.from([...recovered.slice(1), recovered[0] + 27]);
    },
  };
}

// ------------------------------------------------------------------ clients

const clients = new Map(); // name -> { client, wallet, dbPath, dbKey }
let directory = mkdtempSync(join(tmpdir(), "xmtp-libxmtp-adapter-"));

async function openClient(wallet, dbPath, dbKey) {
  if (!API_URL) throw internal("no_api_url", "XMTP_API_URL is not set (run through interop/served_adapter.py)");
  const inboxId = (await bindings.inboxIdOf(API_URL, wallet.identifier)) ?? xmtp.generateInboxId(wallet.identifier);
  // As node-sdk's createClient does, with the history-sync server and the device-sync worker disabled.
  const client = await bindings.createClient(API_URL, { dbPath, dbKey, inboxId, identifier: wallet.identifier,
    logOptions: LOG_OPTIONS, appVersion: "xmtp-conformance" });
  // As node-sdk's register(): a new inbox, or a new installation of an existing one, signed by the wallet.
  const request = await client.createInboxSignatureRequest();
  if (request) {
    await request.addEcdsaSignature(wallet.sign(await request.signatureText()));
    await client.registerIdentity(request);
  }
  return client;
}

function named(name) {
  const entry = clients.get(name);
  if (!entry) throw internal("unknown_client", name);
  return entry;
}

const client = (name) => named(name).client;

// A conversation the client has (the lookup throws "not found" for one it has not).
async function conversation(p) {
  const conversations = client(p.client).conversations();
  let found;
  try {
    found = bindings.conversationById(conversations, p.group_id);
  } catch (e) {
    throw rejected("unknown_group", String(e?.message ?? e), "not_found");
  }
  if (!found) throw rejected("unknown_group", p.group_id, "not_found");
  return found;
}

const identifiers = (addresses) => addresses.map((a) => ({ identifier: a.toLowerCase(), identifierKind: xmtp.IdentifierKind.Ethereum }));

// ------------------------------------------------------------------ state and messages, as reference.py shapes them

const CONVERSATION_TYPES = { [xmtp.ConversationType.Dm]: "dm", [xmtp.ConversationType.Group]: "group",
  [xmtp.ConversationType.Sync]: "sync", [xmtp.ConversationType.Oneshot]: "oneshot" };
const LEVELS = { [xmtp.PermissionLevel.Member]: "member", [xmtp.PermissionLevel.Admin]: "admin",
  [xmtp.PermissionLevel.SuperAdmin]: "super_admin" };
// PermissionPolicy.Other (an And/Any composition) and DoesNotExist have no name: the first is not shown, the second
// is a metadata field without a policy.
const POLICIES = { [xmtp.PermissionPolicy.Allow]: "allow", [xmtp.PermissionPolicy.Deny]: "deny",
  [xmtp.PermissionPolicy.Admin]: "allow_if_admin_or_super_admin", [xmtp.PermissionPolicy.SuperAdmin]: "allow_if_super_admin" };
const PRESET_TYPES = [xmtp.GroupPermissionsOptions.Default, xmtp.GroupPermissionsOptions.AdminOnly];

// The policies the bindings show, and which (`policies_shown`, docs/adapters.md "Group state"): the bindings'
// PermissionPolicySet has the four membership and admin policies and one policy per MetadataField getter
// (`message_disappear_in_ns`'s stands for both disappearing keys, so only that key is shown), each a base policy,
// `Other` for a composition (not shown) or `DoesNotExist` (no policy: shown as absent); libxmtp
// bindings/node/src/permissions.rs@b649d1a `policy_set`. `update_permissions_policy` is shown only when libxmtp
// says the set is a preset (`policyType`): both presets require a super admin (libxmtp
// crates/xmtp_mls/src/groups/group_permissions.rs@b649d1a `is_policy_default`, `is_policy_admin_only`).
// Nothing shows `minimum_supported_protocol_version`, `message_disappear_from_ns` or any other metadata key.
function policiesJson(permissions) {
  const set = permissions.policySet();
  const policies = { update_metadata_policy: {} };
  const shown = [];
  const show = (key, policy, metadata = false) => {
    if (policy === xmtp.PermissionPolicy.Other) return;
    shown.push(metadata ? `update_metadata_policy.${key}` : key);
    if (policy !== xmtp.PermissionPolicy.DoesNotExist) (metadata ? policies.update_metadata_policy : policies)[key] = POLICIES[policy];
  };
  show("add_member_policy", set.addMemberPolicy);
  show("remove_member_policy", set.removeMemberPolicy);
  show("add_admin_policy", set.addAdminPolicy);
  show("remove_admin_policy", set.removeAdminPolicy);
  if (PRESET_TYPES.includes(permissions.policyType())) show("update_permissions_policy", xmtp.PermissionPolicy.SuperAdmin);
  show("app_data", set.updateAppDataPolicy, true);
  show("description", set.updateGroupDescriptionPolicy, true);
  show("group_image_url_square", set.updateGroupImageUrlSquarePolicy, true);
  show("group_name", set.updateGroupNamePolicy, true);
  show("message_disappear_in_ns", set.updateMessageDisappearingPolicy, true);
  return { policies, policies_shown: shown.sort() };
}

async function groupState(group) {
  const metadata = await group.groupMetadata();
  const type = metadata.conversationType();
  const isDm = type === xmtp.ConversationType.Dm;
  // libxmtp keeps these as GroupMutableMetadataV1 attributes; app_data is not written in a DM (facts §3.2).
  const attributes = { description: group.groupDescription(), group_image_url_square: group.groupImageUrlSquare(),
    group_name: group.groupName() };
  if (!isDm) attributes.app_data = group.appData();
  // The disappearing settings are attributes too once set (both keys, decimal i64; facts §3.2).
  const disappearing = group.messageDisappearingSettings();
  if (disappearing) {
    attributes.message_disappear_from_ns = disappearing.fromNs.toString();
    attributes.message_disappear_in_ns = disappearing.inNs.toString();
  }
  const members = await group.listMembers(); // in no particular order since 1.10
  return {
    epoch: Number((await group.debugInfo()).epoch),
    active: group.isActive(),
    created_at_ns: group.createdAtNs().toString(),
    added_by_inbox_id: group.addedByInboxId(),
    conversation_type: CONVERSATION_TYPES[type] ?? String(type),
    creator_inbox_id: metadata.creatorInboxId(),
    attributes: Object.fromEntries(Object.entries(attributes).sort()),
    admins: [...bindings.admins(group)].sort(),
    super_admins: [...bindings.superAdmins(group)].sort(),
    ...policiesJson(group.groupPermissions()),
    members: members.sort((a, b) => (a.inboxId < b.inboxId ? -1 : a.inboxId > b.inboxId ? 1 : 0)).map((m) => ({
      inbox_id: m.inboxId,
      permission_level: LEVELS[m.permissionLevel],
      installations: m.installationIds.length,
      addresses: m.accountIdentifiers.map((i) => i.identifier),
    })),
  };
}

const DELIVERY = { [xmtp.DeliveryStatus.Unpublished]: "unpublished", [xmtp.DeliveryStatus.Published]: "published",
  [xmtp.DeliveryStatus.Failed]: "failed" };
const KINDS = { [xmtp.GroupMessageKind.Application]: "application", [xmtp.GroupMessageKind.MembershipChange]: "membership_change" };
const inboxes = (list) => list.map((i) => i.inboxId).sort();

function messageJson(m) {
  const type = m.contentType;
  const entry = { id: m.id, kind: KINDS[m.kind], delivery_status: DELIVERY[m.deliveryStatus], sender_inbox_id: m.senderInboxId,
    sent_at_ns: m.sentAtNs.toString(), content_type: `${type.authorityId}/${type.typeId}` };
  if (m.expiresAtNs != null) entry.expires_at_ns = m.expiresAtNs.toString();
  const content = m.content;
  if (content.type === xmtp.DecodedMessageContentType.Text) {
    entry.text = content.text;
  } else if (content.type === xmtp.DecodedMessageContentType.DeletedMessage) {
    // XIP-76, as libxmtp shows a message with a valid deletion (crates/xmtp_mls/src/messages/enrichment.rs):
    // deleted by its sender, or by the super admin it names.
    const deleted = content.deletedMessage;
    entry.deleted_by = deleted.deletedBy === xmtp.DeletedBy.Sender ? "sender" : deleted.adminInboxId;
  } else if (content.type === xmtp.DecodedMessageContentType.GroupUpdated) {
    const u = content.groupUpdated;
    entry.update = {
      initiated_by: u.initiatedByInboxId,
      added_inboxes: inboxes(u.addedInboxes), removed_inboxes: inboxes(u.removedInboxes), left_inboxes: inboxes(u.leftInboxes),
      added_admin_inboxes: inboxes(u.addedAdminInboxes), removed_admin_inboxes: inboxes(u.removedAdminInboxes),
      added_super_admin_inboxes: inboxes(u.addedSuperAdminInboxes), removed_super_admin_inboxes: inboxes(u.removedSuperAdminInboxes),
      metadata: u.metadataFieldChanges.map((c) => ({ field: c.fieldName, old: c.oldValue ?? null, new: c.newValue ?? null })),
    };
  }
  return entry;
}

// A stored message the enriched list does not show on its own (a reaction or read receipt: libxmtp attaches
// reactions to the message they react to and leaves read receipts out), from its encoded content.
function storedMessageJson(m) {
  const type = m.content.type;
  const entry = { id: m.id, kind: KINDS[m.kind], delivery_status: DELIVERY[m.deliveryStatus], sender_inbox_id: m.senderInboxId,
    sent_at_ns: m.sentAtNs.toString(), content_type: `${type.authorityId}/${type.typeId}` };
  if (type.authorityId === "xmtp.org" && type.typeId === "text") entry.text = Buffer.from(m.content.content).toString("utf8");
  return entry;
}

const isDeleteMessage = (type) => type.authorityId === "xmtp.org" && type.typeId === "deleteMessage";

// The bindings' enum value named `name` in one of the tables above.
function statusOf(table, name) {
  const found = Object.entries(table).find(([, v]) => v === name);
  if (!found) throw internal("invalid_params", `unknown filter value ${name}`);
  return Number(found[0]);
}

function messageFilters(filters) {
  const options = {};
  for (const [key, value] of Object.entries(filters)) {
    if (key === "delivery_status") options.deliveryStatus = statusOf(DELIVERY, value);
    else if (key === "kind") options.kind = statusOf(KINDS, value);
    else if (key === "sent_after_ns") options.sentAfterNs = BigInt(value);
    else if (key === "sent_before_ns") options.sentBeforeNs = BigInt(value);
    else if (key === "limit") options.limit = value;
    else if (key === "direction") options.direction = value === "descending" ? xmtp.SortDirection.Descending : xmtp.SortDirection.Ascending;
    else throw unsupported("unknown_filter", key);
  }
  return options;
}

const CONSENT_STATES = { unknown: xmtp.ConsentState.Unknown, allowed: xmtp.ConsentState.Allowed, denied: xmtp.ConsentState.Denied };

// clients.list's filters as ListConversationsOptions, oldest first (libxmtp's default order is by last activity).
// ListConversationsOrderBy is a const enum of the typings, with no object at run time: CreatedAt is 0.
const ORDER_BY_CREATED_AT = 0;

function listOptions(filters) {
  const options = { orderBy: ORDER_BY_CREATED_AT };
  for (const [key, value] of Object.entries(filters ?? {})) {
    if (key === "created_after_ns") options.createdAfterNs = BigInt(value);
    else if (key === "created_before_ns") options.createdBeforeNs = BigInt(value);
    else if (key === "limit") options.limit = value;
    else if (key === "consent_states") options.consentStates = value.map((state) => CONSENT_STATES[state]);
    else throw unsupported("unknown_filter", key);
  }
  return options;
}

// ------------------------------------------------------------------ streams (clients.stream_*)

// A stream's callbacks run on the event loop between requests; they only record. `items` holds what arrived
// since the last poll (a message by its id and conversation, looked up at poll time as clients.messages shows it).
const streams = new Map(); // `${client}/${stream}` -> { kind, closer, items, closed }

async function openStream(p) {
  const key = `${p.client}/${p.stream}`;
  if (streams.has(key)) throw internal("stream_exists", p.stream);
  const entry = { kind: p.kind, items: [], closed: false };
  const onItem = (err, value) => {
    if (err) { console.error("stream error:", String(err?.message ?? err)); return; }
    entry.items.push(p.kind === "welcomes" ? { group_id: value.id() } : { id: value.id, group_id: value.convoId });
  };
  const onClose = (err) => { if (err) console.error("stream closed:", String(err?.message ?? err)); };
  const c = client(p.client);
  if (p.kind === "welcomes") entry.closer = await c.conversations().stream(onItem, onClose);
  else if (p.kind === "all_messages") {
    entry.closer = await c.conversations().streamAllMessages(onItem, onClose, undefined,
      [xmtp.ConsentState.Unknown, xmtp.ConsentState.Allowed, xmtp.ConsentState.Denied]);
  } else entry.closer = await (await conversation(p)).stream(onItem, onClose);
  await entry.closer.waitForReady();
  streams.set(key, entry);
  return {};
}

async function pollStream(p) {
  const entry = streams.get(`${p.client}/${p.stream}`);
  if (!entry) throw internal("unknown_stream", p.stream);
  const deadline = Date.now() + p.timeout_ms;
  while (entry.items.length < p.count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  const arrived = entry.items.splice(0);
  if (entry.kind === "welcomes") return { items: arrived };
  const conversations = client(p.client).conversations();
  return { items: arrived.map(({ id, group_id }) => ({ ...messageJson(bindings.enrichedMessageById(conversations, id)), group_id })) };
}

async function closeStream(p) {
  const entry = streams.get(`${p.client}/${p.stream}`);
  if (!entry) throw internal("unknown_stream", p.stream);
  if (!entry.closed) {
    await entry.closer.endAndWait();
    entry.closed = true;
  }
  return {};
}

async function endStreams() {
  for (const entry of streams.values()) if (!entry.closed) entry.closer.end();
  streams.clear();
}

// ------------------------------------------------------------------ push notifications

// What node-sdk hands a notification server: the installation's welcome topic and its conversations' topics
// (xmtp-node-go topic/mls.go), each group's HMAC keys for the 30-day periods around now (libxmtp hmac_keys(-1..=1)).
function pushSubscriptions(p) {
  const c = client(p.client);
  const keys = bindings.hmacKeys(c.conversations());
  const subscriptions = [{ topic: `/xmtp/mls/1/w-${c.installationId()}/proto`, hmac_keys: [] }];
  for (const item of c.conversations().list()) {
    const id = item.conversation.id();
    subscriptions.push({ topic: `/xmtp/mls/1/g-${id}/proto`,
      hmac_keys: (keys[id] ?? []).map((k) => ({ key: hex(k.key), epoch: Number(k.epoch) })) });
  }
  return { installation_id: c.installationId(), subscriptions };
}

// ------------------------------------------------------------------ device sync (clients.history_sync)

// libxmtp's device sync (facts §9) runs in its DeviceSync worker, which this adapter disables (its timing
// is the wall clock's). `history_sync` with request: false does what that worker does for each sync-group
// message it has not processed yet (libxmtp crates/xmtp_mls/src/worker/device_sync/worker.rs@b649d1a
// `process_message`), through the bindings' manual calls: an external request is answered with
// `sendSyncArchive(its options, its server_url, its pin)` (the worker schedules that as a SendSyncArchive
// task), an external reply to a request this installation sent is imported with `processSyncArchive(pin)`;
// acknowledges and preference updates are left (libxmtp ignores acknowledges; preference updates are not
// run here). libxmtp sends no acknowledge, and every installation answers every external request.
const ALL_ELEMENTS = { elements: ["Messages", "Consent"], excludeDisappearingMessages: false };
const DEVICE_SYNC_TYPE = "xmtp.org/application/x-protobuf";
const ELEMENT_NAMES = { 1: "Messages", 2: "Consent" };

// Protobuf wire format, only as far as DeviceSyncContent needs (field number -> list of values).
function protoFields(bytes) {
  const fields = new Map();
  let i = 0;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (i >= bytes.length) throw internal("malformed_sync_message", "truncated varint");
      const b = bytes[i++];
      value |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return value;
    }
  };
  while (i < bytes.length) {
    const key = Number(varint());
    const [number, wire] = [key >> 3, key & 7];
    let value;
    if (wire === 0) value = varint();
    else if (wire === 2) {
      const length = Number(varint());
      value = bytes.subarray(i, i + length);
      i += length;
    } else if (wire === 1) { value = bytes.subarray(i, i + 8); i += 8; }
    else if (wire === 5) { value = bytes.subarray(i, i + 4); i += 4; }
    else throw internal("malformed_sync_message", `wire type ${wire}`);
    fields.set(number, [...(fields.get(number) ?? []), value]);
  }
  return fields;
}

// A packed repeated varint field's values.
function packedVarints(bytes) {
  const values = [];
  let value = 0n, shift = 0n;
  for (const b of bytes) {
    value |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if (!(b & 0x80)) { values.push(value); value = 0n; shift = 0n; }
  }
  return values;
}

const text = (value) => (value === undefined ? "" : Buffer.from(value).toString("utf8"));

// DeviceSyncContent{request = 1, acknowledge = 2, reply = 3, preference_updates = 4} (facts §9): the request's
// pin, server_url and options (ArchiveOptions{elements = 1 (packed), start_ns = 2, end_ns = 3, exclude = 4}),
// or the reply's request_id.
function syncContent(bytes) {
  const content = protoFields(bytes);
  const request = content.get(1)?.[0];
  if (request) {
    const r = protoFields(request);
    const options = protoFields(r.get(4)?.[0] ?? new Uint8Array());
    const elements = (options.get(1) ?? []).flatMap((v) => (typeof v === "bigint" ? [v] : packedVarints(v)));
    return { request: { pin: text(r.get(1)?.[0]), serverUrl: text(r.get(2)?.[0]), options: {
      elements: elements.map((e) => ELEMENT_NAMES[Number(e)]).filter(Boolean),
      ...(options.has(2) ? { startNs: BigInt.asIntN(64, options.get(2)[0]) } : {}),
      ...(options.has(3) ? { endNs: BigInt.asIntN(64, options.get(3)[0]) } : {}),
      excludeDisappearingMessages: (options.get(4)?.[0] ?? 0n) !== 0n } } };
  }
  const reply = content.get(3)?.[0];
  if (reply) return { reply: { requestId: text(protoFields(reply).get(1)?.[0]) } };
  return {};
}

// The worker's pass over every sync group's messages not yet handled by this client, in order.
async function runDeviceSync(entry) {
  const c = entry.client;
  const ds = bindings.deviceSync;
  await c.conversations().sync(); // welcomes, a sync group's among them
  await ds.syncAllDeviceSyncGroups(c);
  entry.handledSync ??= new Set();
  const own = c.installationId();
  for (const item of ds.syncGroups(c)) {
    const group = item.conversation;
    const senders = new Map((await bindings.messages(group, {})).map((m) => [m.id, m.senderInstallationId]));
    const messages = (await bindings.storedMessages(group, {})).map((m) => {
      const type = m.content.type;
      const content = type && `${type.authorityId}/${type.typeId}` === DEVICE_SYNC_TYPE ? syncContent(m.content.content) : {};
      return { id: m.id, external: senders.get(m.id) !== own, ...content };
    });
    const ownPins = new Set(messages.filter((m) => !m.external && m.request).map((m) => m.request.pin));
    for (const m of messages) {
      if (entry.handledSync.has(m.id)) continue;
      entry.handledSync.add(m.id);
      if (!m.external) continue;
      if (m.request) await ds.sendSyncArchive(c, m.request.options, m.request.serverUrl, m.request.pin);
      else if (m.reply && ownPins.has(m.reply.requestId)) await ds.processSyncArchive(c, m.reply.requestId);
    }
  }
}

// ------------------------------------------------------------------ group methods

const PRESETS = { all_members: xmtp.GroupPermissionsOptions.Default, admins_only: xmtp.GroupPermissionsOptions.AdminOnly };
const PERMISSION_TYPES = { add_member_policy: xmtp.PermissionUpdateType.AddMember, remove_member_policy: xmtp.PermissionUpdateType.RemoveMember,
  add_admin_policy: xmtp.PermissionUpdateType.AddAdmin, remove_admin_policy: xmtp.PermissionUpdateType.RemoveAdmin,
  update_metadata_policy: xmtp.PermissionUpdateType.UpdateMetadata };
const OPTIONS = { allow: xmtp.PermissionPolicy.Allow, deny: xmtp.PermissionPolicy.Deny,
  allow_if_admin_or_super_admin: xmtp.PermissionPolicy.Admin, allow_if_super_admin: xmtp.PermissionPolicy.SuperAdmin };
const METADATA_FIELDS = { app_data: xmtp.MetadataField.AppData, description: xmtp.MetadataField.Description,
  group_name: xmtp.MetadataField.GroupName, group_image_url_square: xmtp.MetadataField.GroupImageUrlSquare,
  message_disappear_from_ns: xmtp.MetadataField.MessageExpirationFromNs, message_disappear_in_ns: xmtp.MetadataField.MessageExpirationInNs };

// libxmtp's UpdatePermission intent sets one base policy (facts §4.2): no compositions, no
// Creator Only, no update_permissions_policy, only the metadata fields of MetadataField.
async function updatePermission(group, a) {
  const type = PERMISSION_TYPES[a.permission];
  if (type === undefined) throw unsupported("permission_not_updatable", `libxmtp has no intent for ${a.permission}`);
  const option = typeof a.policy === "string" ? OPTIONS[a.policy] : undefined;
  if (option === undefined) throw unsupported("policy_not_expressible", `libxmtp's intent cannot set ${JSON.stringify(a.policy)}`);
  let field = null;
  if (type === xmtp.PermissionUpdateType.UpdateMetadata) {
    field = METADATA_FIELDS[a.metadata_key];
    if (field === undefined) throw unsupported("metadata_field_not_updatable", String(a.metadata_key));
  }
  await group.updatePermissionPolicy(type, option, field);
}

// libxmtp removes a member who sent a LeaveRequest (XIP-75) in a background worker after the sync that
// read it: 1.9.1's PendingSelfRemoveWorker, every 2 s of wall time; since 1.10 a ProcessPendingSelfRemove
// task woken after that sync (libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a). Only a super admin
// removes. `sync` answers once the worker's effect shows: no member is left whose LeaveRequest this super
// admin has read, or LEAVE_WAIT_MS have passed (then the group is shown as it is).
const LEAVE_WAIT_MS = 10_000;

async function leaveRequestsHonoured(group, inboxId) {
  if (!bindings.superAdmins(group).includes(inboxId)) return;
  const deadline = Date.now() + LEAVE_WAIT_MS;
  for (;;) {
    const requests = await bindings.messages(group, { contentTypes: [xmtp.ContentType.LeaveRequest] });
    const leavers = new Set(requests.map((m) => m.senderInboxId));
    const members = await group.listMembers();
    if (!members.some((m) => leavers.has(m.inboxId)) || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function sync(group, _arguments, client) {
  await group.sync();
  await leaveRequestsHonoured(group, client.inboxId());
}

const GROUP_METHODS = {
  sync,
  send: (g, a) => bindings.sendText(g, a.text, false),
  send_optimistic: (g, a) => bindings.sendText(g, a.text, true),
  add_members: (g, a) => bindings.addMembersByIdentity(g, identifiers(a.addresses)),
  add_members_by_inbox_id: (g, a) => bindings.addMembers(g, a.inbox_ids),
  remove_members: (g, a) => bindings.removeMembersByIdentity(g, identifiers(a.addresses)),
  remove_members_by_inbox_id: (g, a) => bindings.removeMembers(g, a.inbox_ids),
  update_name: (g, a) => g.updateGroupName(a.name),
  update_description: (g, a) => g.updateGroupDescription(a.description),
  update_image_url: (g, a) => g.updateGroupImageUrlSquare(a.url),
  add_admin: (g, a) => g.addAdmin(a.inbox_id),
  remove_admin: (g, a) => g.removeAdmin(a.inbox_id),
  add_super_admin: (g, a) => g.addSuperAdmin(a.inbox_id),
  remove_super_admin: (g, a) => g.removeSuperAdmin(a.inbox_id),
  update_permission: updatePermission,
  leave: (g) => g.leaveGroup(),
  // libxmtp's update_installations is maybe_update_installations(0) -> add_missing_installations ->
  // get_membership_update_intent([], []); the node bindings do not expose it, but
  // adding no inbox by id builds the same intent (nothing added, members' new installations in).
  update_installations: (g) => bindings.addMembers(g, []),
};

// ------------------------------------------------------------------ operations

// Every conversation stored, a DM's stitched twins included (libxmtp's list shows one DM per pair by default,
// so a second DM joined with the same peer would not show as joined).
const conversationIds = (c) => c.conversations().list({ includeDuplicateDms: true }).map((item) => item.conversation.id());

const handlers = {
  async hello(p) {
    if (p.protocol_version !== PROTOCOL_VERSION) throw internal("protocol_version", `this adapter speaks ${PROTOCOL_VERSION}`);
    return { protocol_version: PROTOCOL_VERSION, name: "libxmtp", version: BINDINGS_VERSION, capabilities: { clients: { profiles: ["libxmtp"] } } };
  },

  async reset() {
    await forget();
    directory = mkdtempSync(join(tmpdir(), "xmtp-libxmtp-adapter-"));
    return {};
  },

  async "clients.create"(p) {
    if (clients.has(p.client)) throw internal("client_exists", p.client);
    const wallet = walletFromKey(p.wallet_key);
    const dbPath = join(directory, `${p.client.replace(/[^A-Za-z0-9_-]/g, "_")}.db3`);
    const dbKey = randomBytes(32);
    const c = await openClient(wallet, dbPath, dbKey);
    clients.set(p.client, { client: c, wallet, dbPath, dbKey });
    return { inbox_id: c.inboxId(), installation_id: c.installationId(), address: wallet.identifier.identifier };
  },

  async "clients.restart"(p) {
    const entry = named(p.client);
    await release(entry.client);
    entry.client = await openClient(entry.wallet, entry.dbPath, entry.dbKey);
    return {};
  },

  async "clients.new_group"(p) {
    const preset = PRESETS[p.permissions];
    if (preset === undefined) throw internal("unknown_preset", p.permissions);
    const options = { permissions: preset };
    if (p.name) options.groupName = p.name;
    if (p.description) options.groupDescription = p.description;
    const conversations = client(p.client).conversations();
    const group = p.addresses.length && !p.inbox_ids.length
      ? await bindings.createGroupByIdentity(conversations, identifiers(p.addresses), options)
      : await bindings.createGroup(conversations, [...p.inbox_ids, ...await inboxIdsOf(p.client, p.addresses)], options);
    return { group_id: group.id() };
  },

  async "clients.new_dm"(p) {
    return { group_id: (await bindings.createDm(client(p.client).conversations(), p.inbox_id)).id() };
  },

  async "clients.sync_welcomes"(p) {
    const c = client(p.client);
    const before = new Set(conversationIds(c));
    await c.conversations().sync();
    return { group_ids: conversationIds(c).filter((id) => !before.has(id)) };
  },

  async "clients.sync_all"(p) {
    // "welcomes, then every group": every consent state, not libxmtp's default filter
    const c = client(p.client);
    await bindings.syncAll(c.conversations(), [xmtp.ConsentState.Unknown, xmtp.ConsentState.Allowed, xmtp.ConsentState.Denied]);
    for (const item of c.conversations().list()) await leaveRequestsHonoured(item.conversation, c.inboxId());
    return {};
  },

  async "clients.list"(p) {
    const c = client(p.client);
    const ids = [];
    for (const item of c.conversations().list(listOptions(p.filters))) {
      const type = (await item.conversation.groupMetadata()).conversationType();
      if (type === xmtp.ConversationType.Group || type === xmtp.ConversationType.Dm) ids.push(item.conversation.id());
    }
    return { group_ids: ids };
  },

  async "clients.group"(p) {
    const method = GROUP_METHODS[p.method];
    if (!method) throw unsupported("unknown_group_method", p.method);
    const value = await method(await conversation(p), p.arguments, client(p.client));
    return { value: typeof value === "string" ? value : null };
  },

  async "clients.group_state"(p) {
    return { state: await groupState(await conversation(p)) };
  },

  async "clients.messages"(p) {
    // Every message the group stores (libxmtp find_messages), each shown decoded as the enriched list shows it
    // where that list has it, less XIP-76 DeleteMessages, which libxmtp's listing hides and shows on the message
    // they delete (crates/xmtp_mls/src/groups/message_list.rs filter_out_hidden_message_types_from_query).
    const group = await conversation(p);
    const options = messageFilters(p.filters);
    const decoded = new Map((await bindings.messages(group, options)).map((m) => [m.id, m]));
    const stored = (await bindings.storedMessages(group, options)).filter((m) => !isDeleteMessage(m.content.type));
    return { messages: stored.map((m) => (decoded.has(m.id) ? messageJson(decoded.get(m.id)) : storedMessageJson(m))) };
  },

  async "clients.consent"(p) {
    const c = client(p.client);
    const type = { conversation_id: xmtp.ConsentEntityType.GroupId, inbox_id: xmtp.ConsentEntityType.InboxId }[p.entity_type];
    if (type === undefined) throw unsupported("unknown_entity_type", p.entity_type);
    if (p.state != null) {
      const state = { unknown: xmtp.ConsentState.Unknown, allowed: xmtp.ConsentState.Allowed, denied: xmtp.ConsentState.Denied }[p.state];
      if (state === undefined) throw internal("unknown_consent_state", p.state);
      await c.setConsentStates([{ entityType: type, state, entity: p.entity }]);
    }
    const state = await c.getConsentState(type, p.entity);
    return { state: { [xmtp.ConsentState.Unknown]: "unknown", [xmtp.ConsentState.Allowed]: "allowed", [xmtp.ConsentState.Denied]: "denied" }[state] };
  },

  "clients.stream_open": openStream,
  "clients.stream_poll": pollStream,
  "clients.stream_close": closeStream,
  "clients.push_subscriptions": async (p) => pushSubscriptions(p),

  async "clients.history_sync"(p) {
    const entry = named(p.client);
    if (!bindings.deviceSync) {
      throw unsupported("history_sync", `the node bindings ${BINDINGS_VERSION} expose no manual device sync (only the worker's)`);
    }
    if (!HISTORY_URL) throw internal("no_history_url", "XMTP_HISTORY_URL is not set (run through interop/served_adapter.py)");
    if (p.request) await bindings.deviceSync.sendSyncRequest(entry.client, ALL_ELEMENTS, HISTORY_URL);
    else await runDeviceSync(entry);
    return {};
  },

  // ---------------------------------------------------------------- message lifetime, pins, local database

  async "clients.update_disappearing_settings"(p) {
    const group = await conversation(p);
    await group.updateMessageDisappearingSettings({ fromNs: BigInt(p.from_ns), inNs: BigInt(p.in_ns) });
    return {};
  },

  async "clients.delete_message"() {
    // libxmtp's XIP-76 MlsGroup::delete_message (since 1.9) is bound for mobile only: the node bindings'
    // only deletion is Conversations.deleteMessageById, which removes a row from the local database and
    // sends nothing (bindings/node/src/conversations/messages.rs@b649d1a, the same in 1.9.1).
    throw unsupported("message_deletion", "the node bindings expose no XIP-76 deletion (only the local deleteMessageById)");
  },

  async "clients.update_pinned_frame_url"() {
    throw unsupported("pinned_frame_url", "libxmtp has no group_pinned_frame_url key since 2025-02 (profile libxmtp)");
  },

  async "clients.delete_local_database"(p) {
    // node-sdk's Client.deleteLocalDatabase: close the client, then remove the SQLite file and its side files.
    const entry = named(p.client);
    await release(entry.client);
    for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(entry.dbPath + suffix, { force: true });
    clients.delete(p.client);
    return {};
  },
};

async function inboxIdsOf(name, addresses) {
  const ids = [];
  for (const identifier of identifiers(addresses)) {
    const id = await bindings.inboxIdByIdentity(client(name), identifier);
    if (!id) throw rejected("address_not_found", identifier.identifier, "not_found");
    ids.push(id);
  }
  return ids;
}

// Every client and its database gone.
async function forget() {
  await endStreams();
  for (const { client: c } of clients.values()) await release(c);
  clients.clear();
  rmSync(directory, { recursive: true, force: true });
}

// A client closed (its workers stopped where the version can) and its database connection released.
async function release(c) {
  try {
    await bindings.close(c);
  } catch (e) {
    console.error("close:", e?.message ?? e);
  }
}

// Where libxmtp's log of a call about a client's group would name that client's installation and the group.
function logScope(request) {
  const entry = clients.get(request?.params?.client);
  return entry ? { installationId: entry.client.installationId(), groupId: request.params.group_id } : undefined;
}

// ------------------------------------------------------------------ the clock

// libxmtp reads the system clock (xmtp_common::time::now_ns) and sleeps on tokio's, i.e. the monotonic clock
// (e.g. the TaskRunner that rotates key packages, crates/xmtp_mls/src/worker/tasks.rs @b649d1a). With libfaketime
// preloaded (adapter.mjs), the system clock, and the monotonic one where the version needs it
// (bindings.monotonicClockFollows), are the wall clock plus FAKETIME's offset, which this process moves before each
// call so that libxmtp's clock is the later of the wall clock and the harness's (the time the harness wrote in
// XMTP_HARNESS_CLOCK_FILE), to the whole second below it (libfaketime's offset is read by every thread at once:
// whole seconds change one field of it); the offset never shrinks, so the clock never goes back.
const CLOCK_FILE = process.env.XMTP_HARNESS_CLOCK_FILE;
const CLOCK_FOLLOWED = Boolean(CLOCK_FILE && process.env.FAKETIME);
let clockOffsetS = 0; // libxmtp's clock minus the wall clock, in whole seconds
// adapter.mjs leaves the monotonic clock alone; the version says whether libxmtp needs it to follow too (libfaketime
// reads the setting at every clock reading; no client exists yet, so the jump forward changes nothing).
if (CLOCK_FOLLOWED && bindings.monotonicClockFollows) process.env.FAKETIME_DONT_FAKE_MONOTONIC = "0";

function followHarnessClock() {
  if (!CLOCK_FOLLOWED) return;
  const harnessNs = BigInt(readFileSync(CLOCK_FILE, "utf8").trim() || "0");
  const wallNs = (BigInt(Date.now()) - BigInt(clockOffsetS) * 1000n) * 1_000_000n; // Date.now() is libxmtp's clock
  const aheadS = Number((harnessNs - wallNs) / 1_000_000_000n); // whole seconds, never past the harness's clock
  if (aheadS > clockOffsetS) {
    clockOffsetS = aheadS;
    process.env.FAKETIME = `+${clockOffsetS}`;
  }
}

// One request line at a time (adapter.mjs waits for each answer): its marks around everything libxmtp logs while
// it runs (stdout is a pipe, written synchronously, as libxmtp's log is), then its answer and its log scope.
process.on("message", async ({ call, line }) => {
  followHarnessClock();
  process.stdout.write(`\n${CALL_MARK} start ${call}\n`);
  const response = await respond(handlers, classify, line);
  let scope;
  try {
    scope = logScope(JSON.parse(line));
  } catch {
    scope = undefined; // not a request (answered with a parse error), or of a client gone
  }
  process.stdout.write(`\n${CALL_MARK} end ${call}\n`);
  process.send({ call, response, scope, ahead: clockOffsetS > 0 });
});

// adapter.mjs disconnects when its stdin closes, or when it is gone (ended for hanging, say).
process.on("disconnect", async () => {
  await forget();
  process.exit(0); // libxmtp's workers would keep the event loop alive
});
