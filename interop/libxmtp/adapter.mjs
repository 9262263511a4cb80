#!/usr/bin/env node
// xmtp-conformance adapter for libxmtp (@xmtp/node-bindings), answering the `clients` capability.
//
//   node adapter.mjs VERSION
//
//   .venv/bin/xmtp-conformance run --adapter libxmtp         (the newest pinned version)
//   .venv/bin/xmtp-conformance run --adapter libxmtp-1.9.1
//
// A relay in front of host.mjs, which runs libxmtp (see there). libxmtp writes its log to the process's stdout,
// where an adapter speaks the protocol, and its log is the only place that names the rule by which libxmtp
// refused a commit of its own (refusals.mjs). So this process speaks JSON-RPC 2.0 on stdin/stdout (one
// request at a time, conformance/adapter/protocol.py) and forks the host with its stdout piped here and an
// IPC channel: each request line goes to the host, which writes a mark line to its stdout before and after
// the call and then sends the answer; the answer is written here once the end mark has been read, with
// every structured record libxmtp logged between the marks. A refusal that names no rule gets the class of
// the CommitValidationError libxmtp logged refusing the calling client's own commit in that group, mapped
// by the same table as error messages; nothing else of the answer changes.
//
// stderr is shared with the host. XMTP_ADAPTER_LOG_LEVEL (Error, Warn, Info, Debug, Trace) copies libxmtp's
// log there. The host ends when this process does (its IPC channel closes), and this process ends with the
// host, so the harness sees a crashed host as a closed stdout and starts the adapter again.

import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { OWN_COMMIT_REFUSED, ownCommitRefusal, refusalClassOf } from "./refusals.mjs";

const CALL_MARK = `xmtp-conformance-call-${randomUUID()}`; // no log record can be this line
const ECHO_LOG = ![undefined, "", "Off"].includes(process.env.XMTP_ADAPTER_LOG_LEVEL);

const host = fork(new URL("./host.mjs", import.meta.url), process.argv.slice(2), {
  stdio: ["ignore", "pipe", "inherit", "ipc"], env: { ...process.env, XMTP_ADAPTER_CALL_MARK: CALL_MARK } });
host.on("exit", (code, signal) => {
  if (code !== 0) console.error(`libxmtp host ended (${signal ?? `exit status ${code}`})`);
  process.exit(code ?? 1);
});

// ------------------------------------------------------------------ the host's stdout: libxmtp's log and the marks

let open = null; // the call whose start mark was read and end mark not yet: { call, records, ended }

createInterface({ input: host.stdout, crlfDelay: Infinity }).on("line", (line) => {
  if (line.startsWith(CALL_MARK)) {
    const [, what, call] = line.split(" ");
    if (what === "start") open = { call: Number(call), records: [], ended: open?.ended };
    else if (open && open.call === Number(call)) open.ended?.(open.records);
    return;
  }
  if (!line.trim()) return;
  if (ECHO_LOG) console.error(line);
  // Only records of a refused own commit are kept; a line that is not JSON (a record cut by another thread's
  // write) is not one.
  if (open && line.includes(OWN_COMMIT_REFUSED)) {
    try {
      const refusal = ownCommitRefusal(JSON.parse(line));
      if (refusal) open.records.push(refusal);
    } catch {
      // not a whole record
    }
  }
});

// ------------------------------------------------------------------ calls

let calls = 0;
const answers = new Map(); // call -> resolve(answer from the host)
host.on("message", ({ call, response, scope }) => answers.get(call)?.({ response, scope }));

// The host's answer to one request line, once the call's end mark is read, and what libxmtp logged refusing
// the calling client's own commits during it.
async function relay(line) {
  const call = ++calls;
  const logged = new Promise((resolve) => {
    open = { call: -1, records: [], ended: resolve }; // the start mark replaces call and records
  });
  const answered = new Promise((resolve) => answers.set(call, resolve));
  host.send({ call, line });
  const [{ response, scope }, refusals] = await Promise.all([answered, logged]);
  answers.delete(call);
  open = null;
  return response && withLoggedRefusalClass(response, scope, refusals);
}

// A refusal without a class, when libxmtp logged refusing the client's own commit in the group (for one class of
// rule), gets that class; its message names what libxmtp logged.
function withLoggedRefusalClass(response, scope, refusals) {
  const data = response.error?.data;
  if (data?.kind !== "rejected" || data.class || !scope) return response;
  const mine = refusals.filter((r) => r.installationId === scope.installationId
    && (scope.groupId === undefined || r.groupId === scope.groupId));
  const classes = new Set(mine.map((r) => refusalClassOf(r.error)));
  if (classes.size !== 1 || classes.has(undefined)) return response;
  const logged = [...new Set(mine.map((r) => r.error))].join("; ");
  return { ...response, error: { ...response.error, message: `${response.error.message} (libxmtp logged: ${logged})`,
    data: { ...data, class: [...classes][0] } } };
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const response = await relay(line);
  if (response) process.stdout.write(JSON.stringify(response) + "\n");
}
if (host.connected) host.disconnect(); // the host forgets its clients and exits; so does this process (above)
