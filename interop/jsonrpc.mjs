// The adapter protocol's transport for the Node adapters (docs/adapters.md): JSON-RPC 2.0, one JSON object
// per line, requests on stdin, answers on stdout (stderr is for logs), one request at a time. Errors are
// ProtocolErrors: a kind (rejected, network, unsupported, internal), a reason code and, for refusals, the
// refusal class (conformance/adapter/protocol.py ErrorKind and RefusalClass).
//
// `xmtp-conformance peers install NAME` copies this file beside the adapter's folder in the user cache
// (conformance/adapter/peers.py), as it sits beside it in interop/.

import { createInterface } from "node:readline";

const ERROR_CODES = { rejected: -32000, network: -32001, unsupported: -32601, internal: -32603 };

export class ProtocolError extends Error {
  constructor(kind, reason, message = "", refusalClass = undefined) {
    super(message || reason || kind);
    this.kind = kind;
    this.reason = reason;
    this.refusalClass = refusalClass;
  }
}

export const internal = (reason, message) => new ProtocolError("internal", reason, message);
export const rejected = (reason, message, refusalClass) => new ProtocolError("rejected", reason, message, refusalClass);
export const unsupported = (reason, message) => new ProtocolError("unsupported", reason, message);

// ------------------------------------------------------------------ bytes (the protocol carries them as hex)

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function fromHex(hex, what) {
  if (typeof hex !== "string" || !HEX.test(hex)) throw internal("invalid_params", `${what}: not hex`);
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

export const toHex = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

// ------------------------------------------------------------------ the loop

// The answer to one request: `operations[method](params)`; an error goes through `classify(error, method)`,
// and whatever is still not a ProtocolError is a bug of the adapter, answered `internal` and logged.
async function answer(operations, classify, { id, method, params }) {
  try {
    const operation = operations[method];
    if (operation === undefined) throw unsupported("unknown_method", method);
    let result;
    try {
      result = await operation.call(operations, params ?? {});
    } catch (e) {
      throw classify(e, method);
    }
    return { jsonrpc: "2.0", id, result };
  } catch (e) {
    const error = e instanceof ProtocolError ? e : internal(e?.name ?? "Error", `${e?.message ?? e}`);
    if (error.kind === "internal") console.error(method, e?.stack ?? e);
    const data = { kind: error.kind, reason: error.reason };
    if (error.refusalClass) data.class = error.refusalClass;
    return { jsonrpc: "2.0", id, error: { code: ERROR_CODES[error.kind], message: error.message, data } };
  }
}

// The answer to one line of the protocol: its request's answer, a parse error for a line that is not JSON, or null
// for a blank line (nothing to answer).
export async function respond(operations, classify, line) {
  if (!line.trim()) return null;
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error", data: { kind: "internal", reason: "not_json" } } };
  }
  return answer(operations, classify, request);
}

// Answers every request on stdin until it closes. `operations` maps a method to an async function of its params;
// `classify(error, method)` turns what an operation threw into the error to answer (default: as thrown).
export async function serve(operations, classify = (e) => e) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    const response = await respond(operations, classify, line);
    if (response) process.stdout.write(JSON.stringify(response) + "\n");
  }
}
