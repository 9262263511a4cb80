// The refusal class (docs/reason-codes.md "Refusal classes") of what libxmtp said when it refused: the rule an
// error's message names, the error code ("[GroupError::GroupInactive]") or the Display of the error that refused
// (CommitValidationError "Insufficient permissions", "Actor not a member of the group", ...), or the
// CommitValidationError variant its log names for a refused commit of its own (`ownCommitRefusal`). What names no
// rule gets no class, and the harness fails a step that expects one.

const REFUSAL_CLASSES = [
  [/InsufficientPermissions|Insufficient permissions|PolicyError|SuperAdminRequired|AdminRequired/i, "permission"],
  [/GroupInactive|Group is inactive|ActorNotMember|not a member of the group|NotAMember/i, "membership"],
  [/GroupNotFound|NotFound\]|not found/i, "not_found"],
  [/TooManyCharacters|InvalidPermissionUpdate|InvalidArgument|too many characters/i, "validation"],
  // its intent not seen after MAX_GROUP_SYNC_RETRIES syncs (libxmtp crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a
  // `sync_until_intent_resolved`), the model's client.sync_failed_to_wait
  [/SyncFailedToWait|Sync failed to wait for intent/i, "network"],
];

export function refusalClassOf(message) {
  return REFUSAL_CLASSES.find(([pattern]) => pattern.test(message))?.[1];
}

// libxmtp's error for its own refused commit names no rule (1.11: "[GroupError::Sync] synced 1 messages, 1 failed
// ... commit validation", the CommitValidation variant's Display without its source; 1.9.1: "synced 1 messages,
// 0 failed 1 succeeded"), but the sync that refused it logs the CommitValidationError with its Debug, which names
// the variant: "Error validating commit for own message. Intent ID [5]: InsufficientPermissions" (libxmtp
// crates/xmtp_mls/src/groups/mls_sync.rs@b649d1a and @09d3f023f, `tracing::error!` before
// `GroupMessageProcessingError::CommitValidation`). Its structured (JSON) record carries the installation and
// the group as fields.
export const OWN_COMMIT_REFUSED = "Error validating commit for own message";

// The CommitValidationError that libxmtp logged refusing an own commit, from one structured log record
// (`message` and fields flattened), or undefined for any other record.
export function ownCommitRefusal(record) {
  const message = String(record?.message ?? "");
  if (record?.level !== "ERROR" || !message.startsWith(OWN_COMMIT_REFUSED)) return undefined;
  const rest = message.indexOf("]: ");
  return { installationId: record.installation_id, groupId: record.group_id,
    error: rest < 0 ? message : message.slice(rest + 3) };
}
