// The calls of @xmtp/node-bindings 1.11.0-nightly.20260726.b649d1a (libxmtp b649d1a) under the names
// adapter.mjs uses. Every version folder has this file; only the calls whose names or shapes differ
// between versions are here, the rest of the adapter is shared.

import * as xmtp from "@xmtp/node-bindings";

export { xmtp };
export { secp256k1 } from "@noble/curves/secp256k1.js";
export { keccak_256 } from "@noble/hashes/sha3.js";

const backends = new Map(); // API URL -> Backend (the inbox lookup needs one; no client exists yet)

async function backend(apiUrl) {
  if (!backends.has(apiUrl)) backends.set(apiUrl, await new xmtp.BackendBuilder(xmtp.XmtpEnv.Local).setApiUrl(apiUrl).build());
  return backends.get(apiUrl);
}

export const bindings = {
  inboxIdOf: async (apiUrl, identifier) => xmtp.getInboxIdByIdentity(await backend(apiUrl), identifier),
  // History sync off: no history server URL, the device-sync worker disabled.
  createClient: (apiUrl, { dbPath, dbKey, inboxId, identifier, logOptions, appVersion }) => xmtp.createClient(
    apiUrl, null, { dbPath, encryptionKey: dbKey }, inboxId, identifier, xmtp.SyncWorkerMode.Disabled,
    { disabledWorkers: [xmtp.WorkerKind.DeviceSync] }, logOptions, false, appVersion),
  inboxIdByIdentity: (client, identifier) => client.getInboxIdByIdentity(identifier),
  conversationById: (conversations, id) => conversations.getConversationById(id),
  createGroup: (conversations, inboxIds, options) => conversations.createGroup(inboxIds, options),
  createGroupByIdentity: (conversations, identifiers, options) => conversations.createGroupByIdentity(identifiers, options),
  createDm: (conversations, inboxId) => conversations.createDm(inboxId),
  syncAll: (conversations, consentStates) => conversations.syncAll(consentStates),
  sendText: (group, text, optimistic) => group.sendText(text, { optimistic }),
  addMembers: (group, inboxIds) => group.addMembers(inboxIds),
  addMembersByIdentity: (group, identifiers) => group.addMembersByIdentity(identifiers),
  removeMembers: (group, inboxIds) => group.removeMembers(inboxIds),
  removeMembersByIdentity: (group, identifiers) => group.removeMembersByIdentity(identifiers),
  admins: (group) => group.listAdmins(),
  superAdmins: (group) => group.listSuperAdmins(),
  messages: (group, options) => group.listEnrichedMessages(options),
  storedMessages: (group, options) => group.listMessages(options), // every stored message, content still encoded
  close: (client) => client.close(),
  enrichedMessageById: (conversations, id) => conversations.getEnrichedMessageById(id),
  hmacKeys: (conversations) => conversations.hmacKeys(),
  // Device sync's manual calls (the worker stays disabled; adapter.mjs runs its steps).
  deviceSync: {
    sendSyncRequest: (client, options, serverUrl) => client.deviceSync().sendSyncRequest(options, serverUrl),
    sendSyncArchive: (client, options, serverUrl, pin) => client.deviceSync().sendSyncArchive(options, serverUrl, pin),
    processSyncArchive: (client, pin) => client.deviceSync().processSyncArchive(pin),
    syncAllDeviceSyncGroups: (client) => client.deviceSync().syncAllDeviceSyncGroups(),
    syncGroups: (client) => client.conversations().list({ conversationType: xmtp.ConversationType.Sync }),
  },
  // The TaskRunner sleeps on tokio's (monotonic) clock until its next task is due by the system clock, a day at
  // most (crates/xmtp_mls/src/worker/tasks.rs next_wakeup): both clocks follow the harness's.
  monotonicClockFollows: true,
};
