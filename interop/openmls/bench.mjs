#!/usr/bin/env node
// The 400-member operations of benchmarks/test_mls_400.py, run with OpenMLS through core-crypto 10.3.0 in
// cipher suite 3, for benchmarks/test_side_by_side.py. The same shapes: 399 key packages; a 2-member
// group whose first member commits adding 398 (400 members); the second member processing that commit;
// m7 joining from its Welcome; the first member committing the removal of m200 (core-crypto gives every
// remove commit a path); the second member processing that. Commits are PublicMessages, Welcomes carry
// the tree.
//
// core-crypto's groups change in place, so each of the R runs (argument, default 5) has its own group,
// built untimed; every member makes R key packages, one per run. Only the call is timed (a core-crypto
// transaction, which includes its in-memory database); each run's result is checked, untimed. Prints one
// JSON object on stdout: operation -> {median_ms, min_ms, runs}.
//
//   node interop/openmls/bench.mjs [R]

import { Member, cc } from "./openmls.mjs";

const SIZE = 400;
const REMOVED = 200;
const SUITE = 3;
const RUNS = Number(process.argv[2] ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`usage: bench.mjs [runs >= 1], not ${process.argv[2]}`);

const utf8 = (text) => new TextEncoder().encode(text);
const sameBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

function expect(condition, what) {
  if (!condition) throw new Error(`OpenMLS benchmark: ${what}`);
}

const timings = {};

// Times each run's operation alone; their results.
async function measure(name, operations) {
  const times = [];
  const results = [];
  for (const operation of operations) {
    const start = process.hrtime.bigint();
    results.push(await operation());
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  timings[name] = { median_ms: median, min_ms: sorted[0], runs: RUNS };
  return results;
}

const runs = [...Array(RUNS).keys()];
const members = [];
for (let i = 0; i < SIZE; i++) members.push(await Member.create(SUITE, utf8(`m${i}`)));

// run r: every member's r-th key package (m0 founds the groups, so 399), as MLSMessages
const packages = await measure("generate_399_key_packages", runs.map(() => async () => {
  const made = [];
  for (const m of members.slice(1)) made.push(await m.keyPackage());
  return made;
}));
packages.forEach((made) => expect(made.length === SIZE - 1, "399 key packages"));

// untimed: a 2-member group per run (each run's founder and second member are new instances)
const firsts = [];
const seconds = [];
for (const r of runs) {
  const [first, second] = [await Member.create(SUITE, utf8("m0")), await Member.create(SUITE, utf8("m1"))];
  await first.createGroup(utf8(`group ${r}`));
  const { welcome } = await first.add([await second.keyPackage()]);
  await second.join(welcome.serialize());
  firsts.push(first);
  seconds.push(second);
}

const added = await measure("commit_adding_399", runs.map((r) => () => firsts[r].add(packages[r].slice(1))));
await measure("process_add_commit", runs.map((r) => () => seconds[r].process(added[r].commit)));
const joiner = members[7]; // m7 joins each run's group with that run's key package
await measure("join_from_welcome", runs.map((r) => () =>
  joiner.run((ctx) => ctx.processWelcomeMessage(new cc.Welcome(added[r].welcome.serialize())))));
for (const r of runs) {
  const secrets = await Promise.all([firsts[r], seconds[r]].map((m) => m.exportSecret(32)));
  const joined = await joiner.run(async (ctx) => (await ctx.exportSecretKey(new cc.ConversationId(utf8(`group ${r}`)), 32)).copyBytes());
  expect(sameBytes(secrets[0], secrets[1]) && sameBytes(secrets[0], joined), "the members agree after the add commit");
  expect(await firsts[r].epoch() === 2, "epoch 2 after the add commit");
}

const removedId = members[REMOVED].clientId;
const removed = await measure("remove_commit_with_path", runs.map((r) => () =>
  firsts[r].commitOf((ctx) => ctx.removeClientsFromConversation(firsts[r].conversation, [removedId]))));
await measure("process_remove_commit", runs.map((r) => () => seconds[r].process(removed[r].commit)));
for (const r of runs) {
  const [a, b] = await Promise.all([firsts[r], seconds[r]].map((m) => m.exportSecret(32)));
  expect(sameBytes(a, b), "the members agree after the remove commit");
  expect(await seconds[r].epoch() === 3, "epoch 3 after the remove commit");
}

process.stdout.write(`${JSON.stringify(timings)}\n`);
