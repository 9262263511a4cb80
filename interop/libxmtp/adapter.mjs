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
// libxmtp's clock follows the harness's (README "The harness's clock"): with XMTP_HARNESS_CLOCK_FILE and
// XMTP_FAKETIME_LIBRARY set (interop/served_adapter.py), the host, and only the host, runs with libfaketime
// preloaded, its offset in the FAKETIME variable that the host moves before each call. A clock must not go back,
// so a host whose clock went ahead of the wall clock is replaced by a new one at `reset` (a new delivery service,
// whose clock starts again).
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

const { XMTP_HARNESS_CLOCK_FILE: CLOCK_FILE, XMTP_FAKETIME_LIBRARY: FAKETIME_LIBRARY } = process.env;
// libfaketime's settings: an offset in whole seconds ("+N", read from the environment at every clock reading, so
// the host's change is seen at once), applied to the realtime clock; the host applies it to the monotonic clock
// (tokio's timers and libuv's) too where the version needs it.
const FOLLOWED_CLOCK = CLOCK_FILE && FAKETIME_LIBRARY ? {
  LD_PRELOAD: [FAKETIME_LIBRARY, process.env.LD_PRELOAD].filter(Boolean).join(":"),
  FAKETIME: "+0", FAKETIME_NO_CACHE: "1", FAKETIME_DONT_FAKE_MONOTONIC: "1" } : {};

if (CLOCK_FILE && !FAKETIME_LIBRARY) {
  console.error("libfaketime is not installed (pip install -e '.[libxmtp]'): libxmtp keeps the wall clock");
}

let host = null; // the host process
let hostAhead = false; // whether its clock went ahead of the wall clock (it says so with each answer)
let open = null; // the call whose start mark was read and end mark not yet: { call, records, ended }
const answers = new Map(); // call -> resolve(answer from the host)

function startHost() {
  const started = fork(new URL("./host.mjs", import.meta.url), process.argv.slice(2), {
    stdio: ["ignore", "pipe", "inherit", "ipc"],
    env: { ...process.env, ...FOLLOWED_CLOCK, XMTP_ADAPTER_CALL_MARK: CALL_MARK } });
  started.on("exit", (code, signal) => {
    if (started !== host) return; // replaced
    if (code !== 0) console.error(`libxmtp host ended (${signal ?? `exit status ${code}`})`);
    process.exit(code ?? 1);
  });
  started.on("message", ({ call, response, scope, ahead }) => {
    hostAhead = ahead;
    answers.get(call)?.({ response, scope });
  });
  createInterface({ input: started.stdout, crlfDelay: Infinity }).on("line", hostLine);
  hostAhead = false;
  return started;
}

// A new host for a new delivery service when the old one's clock is ahead of the wall clock; it ends once it
// has released its clients (its IPC channel closed).
function renewHost(line) {
  if (!hostAhead || !/"method"\s*:\s*"reset"/.test(line)) return;
  const old = host;
  host = startHost();
  old.disconnect();
}

host = startHost();

// ------------------------------------------------------------------ the host's stdout: libxmtp's log and the marks

function hostLine(line) {
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
}

// ------------------------------------------------------------------ calls

let calls = 0;

// The host's answer to one request line, once the call's end mark is read, and what libxmtp logged refusing
// the calling client's own commits during it.
async function relay(line) {
  renewHost(line);
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
