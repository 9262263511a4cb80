#!/usr/bin/env node
// A minimal xmtp-conformance adapter in JavaScript (Node 20, built-in modules only).
//
// The harness starts this program and talks JSON-RPC 2.0 to it, one JSON object per line:
// requests arrive on stdin, answers go to stdout. stdout is the protocol channel and nothing
// else may go there: log with console.error (stderr), which the harness captures apart.
//
// This adapter answers two XMTP vector families by computing the answers itself. A real
// adapter would call its SDK instead, and declare more capabilities as it grows
// (docs/adapters.md lists them all; conformance/adapter/protocol.py defines them).
//
//   .venv/bin/xmtp-conformance smoke --adapter-cmd "node examples/node-adapter/adapter.mjs"

import { createHash } from "node:crypto";
import { createInterface } from "node:readline";

const PROTOCOL_VERSION = 2; // the harness refuses an adapter that speaks another version

// ------------------------------------------------------------------ errors

// An operation that gives no result answers with a JSON-RPC error whose data says why:
// kind "rejected" (a refusal, with a reason code), "network" (a ds.* call failed),
// "unsupported" (an operation this adapter does not have) or "internal" (anything else).
const ERROR_CODES = { rejected: -32000, network: -32001, unsupported: -32601, internal: -32603 };

class ProtocolError extends Error {
  constructor(kind, reason, message = "") {
    super(message || reason || kind);
    this.kind = kind;
    this.reason = reason;
  }

  toJsonRpc() {
    return { code: ERROR_CODES[this.kind], message: this.message, data: { kind: this.kind, reason: this.reason } };
  }

  static fromJsonRpc(error) {
    const kind = Object.hasOwn(ERROR_CODES, error.data?.kind) ? error.data.kind : "internal";
    return new ProtocolError(kind, error.data?.reason ?? "", error.message);
  }
}

// ------------------------------------------------------------------ JSON with 64-bit integers

// JSON.parse reads every number as a double, silently corrupting integers above 2^53 -- and the
// protocol carries such integers (the inbox_id vectors use nonce 2^64 - 1, metadata_limits answers
// i64 extremes). parseJson keeps them exact, as BigInt; toJson writes
// a BigInt as plain digits. Node 20 has neither JSON.rawJSON nor the reviver's source text.
const SPACE = /[ \t\n\r]*/y;
const STRING = /"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SCALAR = new RegExp(`${STRING.source}|true|false|null|-?(?:0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?`, "y");

function parseJson(text) {
  let at = 0;
  const fail = () => { throw new SyntaxError(`invalid JSON at position ${at}`); };
  const match = (pattern) => {
    pattern.lastIndex = at;
    const found = pattern.exec(text) ?? fail();
    at = pattern.lastIndex;
    return found;
  };
  const eat = (char) => {
    match(SPACE);
    return text[at] === char ? (at++, true) : false;
  };
  const value = () => {
    if (eat("{")) {
      const entries = []; // Object.fromEntries, unlike assignment, keeps a "__proto__" key as data
      if (eat("}")) return {};
      do {
        match(SPACE);
        const key = JSON.parse(match(STRING)[0]);
        if (!eat(":")) fail();
        entries.push([key, value()]);
      } while (eat(","));
      return eat("}") ? Object.fromEntries(entries) : fail();
    }
    if (eat("[")) {
      const array = [];
      if (eat("]")) return array;
      do array.push(value()); while (eat(","));
      return eat("]") ? array : fail();
    }
    const [literal, fraction, exponent] = match(SCALAR);
    if (!/^-?[0-9]/.test(literal)) return JSON.parse(literal); // string, true, false, null
    const number = Number(literal);
    return fraction || exponent || Number.isSafeInteger(number) ? number : BigInt(literal);
  };
  const parsed = value();
  match(SPACE);
  return at === text.length ? parsed : fail();
}

function toJson(value) {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const fields = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

// ------------------------------------------------------------------ the channel

// Both sides send requests on the same channel. While the harness waits for our answer we may
// call it (ds.call, ds.now, ds.upload, ds.download: the harness owns the delivery service, and a
// client reaches the network only through these); its answer comes back on stdin before we answer.
// Calls nest and never interleave, so one request runs at a time on each side.

function send(message) {
  process.stdout.write(toJson({ jsonrpc: "2.0", ...message }) + "\n");
}

const waiting = new Map(); // our requests to the harness, by id, until their responses arrive
let lastId = 0;

// Call the harness, e.g. await callHarness("ds.now", {}) -> { now_ns } (nanoseconds, a decimal string).
// Neither vector family below needs the network; a "clients" adapter routes its SDK's API calls
// here: callHarness("ds.call", { method: "SendGroupMessages", request: <protobuf hex> }).
// A failure rejects with a ProtocolError: let it propagate, and the operation that made the
// call answers with the same kind and reason, as the harness expects of a network fault.
function callHarness(method, params) {
  const id = `adapter-${++lastId}`; // any id unique among ours; the harness's are "h1", "h2", ...
  send({ id, method, params });
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

function settle(response) {
  const call = waiting.get(response?.id);
  if (!call) return console.error("not a request, nor a response to one of ours:", response);
  waiting.delete(response.id);
  if (response.error) call.reject(ProtocolError.fromJsonRpc(response.error));
  else call.resolve(response.result);
}

async function serve(request) {
  const { id, method, params = {} } = request;
  try {
    if (!Object.hasOwn(METHODS, method)) throw new ProtocolError("unsupported", "unknown_method", method);
    send({ id, result: await METHODS[method](params) });
  } catch (error) {
    const failure = error instanceof ProtocolError ? error : new ProtocolError("internal", error.name, error.message);
    if (!(error instanceof ProtocolError)) console.error(error); // a bug here: the trace goes to stderr
    send({ id, error: failure.toJsonRpc() });
  }
}

// ------------------------------------------------------------------ the operations

// Each operation takes the request's params and returns its result (or throws a ProtocolError).
// protocol.py (and vectors/schemas/adapter-protocol.schema.json) lists every operation; the
// harness validates results strictly, so return exactly the fields named there.
const METHODS = {
  // The first call of a session. Declare only the capabilities you answer: the harness skips
  // every check needing another one and shows it as skipped, with the missing capability.
  hello: () => ({
    protocol_version: PROTOCOL_VERSION,
    name: "example-node-adapter",
    version: "0.1.0",
    capabilities: { "xmtp.vectors": { families: Object.keys(FAMILIES) } },
  }),

  // Forget every member and client (called before each scenario; nothing to forget here).
  reset: () => ({}),

  // One question about one XMTP vector case (conformance/vectors/questions.py). The harness never
  // sends the expected answer: the adapter works it out and the harness judges it.
  "xmtp.answer": ({ family, question }) => {
    if (!Object.hasOwn(FAMILIES, family)) throw new ProtocolError("unsupported", "unknown_family", family);
    if (question.ask !== "decide") throw new ProtocolError("unsupported", "unknown_question", question.ask);
    return { answer: FAMILIES[family](question.inputs) };
  },
};

// A "decide" answer is { result: "valid", reason: null, outputs } or { result: "invalid", reason }.
// A refusal is an answer here, not a JSON-RPC error: the vector expects that reason code.
const valid = (outputs) => ({ result: "valid", reason: null, outputs });
const invalid = (reason) => ({ result: "invalid", reason });

// Each family's "Questions:" paragraph (conformance/vectors/families/<family>.py) says what its
// inputs hold and what the answer must; vectors/xmtp/<family>.json holds the cases.
const FAMILIES = {
  // XIP-46 "Inbox IDs": lowercase hex SHA-256 of the lowercased address followed by the decimal
  // nonce. The address must be 0x and 40 hex digits (libxmtp member.rs), else invalid_identifier.
  inbox_id({ address, nonce }) {
    const lower = address.toLowerCase();
    if (!/^0x[0-9a-f]{40}$/.test(lower)) return invalid("identity.invalid_identifier");
    return valid({ inbox_id: createHash("sha256").update(`${lower}${nonce}`).digest("hex") });
  },

  // Limits on a group's metadata and membership, by inputs.check.
  metadata_limits(inputs) {
    if (inputs.check === "attribute") {
      // Limited attributes count UTF-8 bytes, not UTF-16 units (string.length) nor code points.
      const bytes = Buffer.byteLength(inputs.value, "utf8");
      const limit = ATTRIBUTE_LIMITS.get(inputs.key); // every other key is unlimited
      return limit !== undefined && bytes > limit ? invalid("extension.too_many_characters") : valid({ bytes });
    }
    if (inputs.check === "disappearing_settings") {
      // Both keys set: each must parse as Rust's i64 does (sign, ASCII digits); else not set.
      const { attributes } = inputs;
      const values = DISAPPEARING_KEYS.map((key) => (Object.hasOwn(attributes, key) ? attributes[key] : null));
      if (values.includes(null)) return valid({ disappearing: null });
      if (!values.every((v) => /^[+-]?[0-9]+$/.test(v) && BigInt(v) >= I64_MIN && BigInt(v) <= I64_MAX)) {
        return invalid("extension.invalid_disappearing_setting");
      }
      const [from_ns, in_ns] = values.map(BigInt);
      return valid({ disappearing: { from_ns, in_ns } });
    }
    if (inputs.check === "group_size") {
      const max = MAX_GROUP_SIZE.get(inputs.profile);
      if (max === undefined) throw new ProtocolError("internal", "unknown_profile", inputs.profile);
      return inputs.members >= 1 && inputs.members <= max ? valid({ max_group_size: max }) : invalid("extension.group_size");
    }
    throw new ProtocolError("internal", "unknown_check", String(inputs.check));
  },
};

// Maps, not object literals: a key such as "constructor" must not find Object.prototype's.
const ATTRIBUTE_LIMITS = new Map([["group_name", 100], ["description", 1000], ["group_image_url_square", 2048],
                                  ["app_data", 8192]]);
const DISAPPEARING_KEYS = ["message_disappear_from_ns", "message_disappear_in_ns"];
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const MAX_GROUP_SIZE = new Map([["seed", 400], ["libxmtp", 250]]); // seed "Group sizes"; libxmtp MAX_GROUP_SIZE

// ------------------------------------------------------------------ main loop

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = parseJson(line);
  } catch (error) {
    const data = { kind: "internal", reason: "not_json" };
    return send({ id: null, error: { code: -32700, message: error.message, data } });
  }
  if (typeof message?.method === "string") serve(message); // a request from the harness
  else settle(message); // the response to one of our callHarness requests
});
// The harness closes stdin to end the session. Fail any call still waiting; Node then exits
// once the last answer is written.
lines.on("close", () => {
  for (const call of waiting.values()) call.reject(new ProtocolError("internal", "harness_gone"));
  waiting.clear();
});
process.stdout.on("error", () => process.exit(1)); // the harness went away mid-write
