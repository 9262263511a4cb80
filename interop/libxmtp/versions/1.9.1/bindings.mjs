// The calls of @xmtp/node-bindings 1.9.1 (libxmtp 09d3f023f, the bindings @xmtp/node-sdk 5.5.0 pins) under
// the names adapter.mjs uses. Every version folder has this file; only the calls whose names or
// shapes differ between versions are here, the rest of the adapter is shared.

import * as xmtp from "@xmtp/node-bindings";

export { xmtp };
export { secp256k1 } from "@noble/curves/secp256k1.js";
export { keccak_256 } from "@noble/hashes/sha3.js";

export const bindings = {
  inboxIdOf: (apiUrl, identifier) => xmtp.getInboxIdForIdentifier(apiUrl, null, false, identifier),
  // History sync off: no history server URL, the device-sync worker disabled. 1.9.1's workers run on
  // fixed wall-clock intervals (KNOWN_DIFFERENCES.md D5, D9, D10).
  createClient: (apiUrl, { dbPath, dbKey, inboxId, identifier, logOptions, appVersion }) => xmtp.createClient(
    apiUrl, null, false, dbPath, inboxId, identifier, dbKey, null, xmtp.SyncWorkerMode.Disabled,
    logOptions, false, appVersion),
  inboxIdByIdentity: (client, identifier) => client.findInboxIdByIdentifier(identifier),
  conversationById: (conversations, id) => conversations.findGroupById(id),
  createGroup: (conversations, inboxIds, options) => conversations.createGroupByInboxId(inboxIds, options),
  createGroupByIdentity: (conversations, identifiers, options) => conversations.createGroup(identifiers, options),
  createDm: (conversations, inboxId) => conversations.createDmByInboxId(inboxId),
  syncAll: (conversations, consentStates) => conversations.syncAllConversations(consentStates),
  sendText: (group, text, optimistic) => group.sendText(text, optimistic),
  addMembers: (group, inboxIds) => group.addMembersByInboxId(inboxIds),
  addMembersByIdentity: (group, identifiers) => group.addMembers(identifiers),
  removeMembers: (group, inboxIds) => group.removeMembersByInboxId(inboxIds),
  removeMembersByIdentity: (group, identifiers) => group.removeMembers(identifiers),
  admins: (group) => group.adminList(),
  superAdmins: (group) => group.superAdminList(),
  messages: (group, options) => group.findEnrichedMessages(options),
  storedMessages: (group, options) => group.findMessages(options), // every stored message, content still encoded
  // 1.9.1's client has no close(): its database connection is released and the object dropped.
  close: async (client) => client.releaseDbConnection(),
  enrichedMessageById: (conversations, id) => conversations.findEnrichedMessageById(id),
  hmacKeys: (conversations) => conversations.getHmacKeys(),
  // No manual device sync: 1.9.1 binds only the worker's sendSyncRequest() (its server URL fixed at createClient).
  deviceSync: null,
  // Its workers wake on tokio intervals (5 s, crates/xmtp_mls/src/groups/key_package_cleaner_worker.rs
  // INTERVAL_DURATION) and compare due times with the system clock, so only that clock follows the harness's: a
  // jump of the monotonic clock would make every interval, of every client since the process began (1.9.1 cannot
  // stop a client's workers), run each tick it missed, as tokio's default MissedTickBehavior::Burst does.
  monotonicClockFollows: false,
};
