#!/usr/bin/env node
// The 400-member operations of benchmarks/test_mls_400.py, run with ts-mls 1.6.4 in cipher suite 3,
// for benchmarks/test_side_by_side.py. The same shapes: 399 key packages; a 2-member group
// whose first member commits adding 398 (400 members); the second member processing that commit;
// m7 joining from its Welcome; the first member committing the removal of leaf 200 (with a path);
// the second member processing that. Commits are PublicMessages and their Welcomes carry the tree.
//
// Each operation runs R times (argument, default 5) from the same inputs; only the call is timed.
// ts-mls's states are immutable values, so a run needs no fresh copy, and the secrets ts-mls
// reports as consumed are not erased (adapter.mjs erases them; here the inputs are used again).
// Every run's result is checked, untimed. Prints one JSON object on stdout:
// operation -> {median_ms, min_ms, runs}.
//
//   node interop/ts-mls/bench.mjs [R]

import {
  ciphersuites, createCommit, createGroup, decodeMlsMessage, defaultAuthenticationService, defaultCapabilities,
  defaultKeyPackageEqualityConfig, defaultLifetime, defaultLifetimeConfig, defaultPaddingConfig, encodeMlsMessage,
  generateKeyPackage, getCiphersuiteFromName, getCiphersuiteImpl, joinGroup, makePskIndex, processPublicMessage,
} from "ts-mls";

const SIZE = 400;
const REMOVED = 200;
const RUNS = Number(process.argv[2] ?? 5);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`usage: bench.mjs [runs >= 1], not ${process.argv[2]}`);

// As adapter.mjs configures ts-mls: XMTP's key retention (3 past epochs, 5 skipped generations,
// 1000 steps forward), ts-mls's defaults otherwise.
const CLIENT_CONFIG = {
  keyRetentionConfig: { retainKeysForEpochs: 3, retainKeysForGenerations: 5, maximumForwardRatchetSteps: 1000 },
  lifetimeConfig: defaultLifetimeConfig, keyPackageEqualityConfig: defaultKeyPackageEqualityConfig,
  paddingConfig: defaultPaddingConfig, authService: defaultAuthenticationService,
};
const cs = await getCiphersuiteImpl(getCiphersuiteFromName(Object.keys(ciphersuites).find((n) => ciphersuites[n] === 3)));

// ------------------------------------------------------------------ helpers

const utf8 = (text) => new TextEncoder().encode(text);
const keyPackage = (name) =>
  generateKeyPackage({ credentialType: "basic", identity: utf8(name) }, defaultCapabilities(), defaultLifetime, [], cs);
const commit = (state, extraProposals) =>
  createCommit({ state, cipherSuite: cs }, { wireAsPublicMessage: true, extraProposals, ratchetTreeExtension: true });
const join = (welcome, { publicPackage, privatePackage }) =>
  joinGroup(welcome, publicPackage, privatePackage, makePskIndex(undefined, {}), cs, undefined, undefined, CLIENT_CONFIG);
const receive = (state, publicMessage) => processPublicMessage(state, publicMessage, makePskIndex(state, {}), cs);

// What a receiver gets: the message encoded and decoded again.
const wire = (message) => decodeMlsMessage(encodeMlsMessage(message), 0)[0];
const welcomeOf = (result) => wire({ version: "mls10", wireformat: "mls_welcome", welcome: result.welcome }).welcome;

const epoch = (state) => Number(state.groupContext.epoch);
const members = (state) => state.ratchetTree.filter((node, i) => i % 2 === 0 && node !== undefined).length;
const sameBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

function expect(condition, what) {
  if (!condition) throw new Error(`ts-mls benchmark: ${what}`);
}

// `state` as the committer's `expected` sees it: the same epoch, members, tree and epoch secrets.
function agrees(state, expected, what) {
  expect(epoch(state) === epoch(expected) && members(state) === members(expected), `${what}: epoch or members differ`);
  expect(sameBytes(state.groupContext.treeHash, expected.groupContext.treeHash), `${what}: tree hash differs`);
  expect(sameBytes(state.keySchedule.epochAuthenticator, expected.keySchedule.epochAuthenticator),
    `${what}: epoch authenticator differs`);
}

const timings = {};

// Runs `operation` RUNS times, timing each call alone and checking each result; the last result.
async function measure(name, operation, check) {
  const times = [];
  let result;
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint();
    result = await operation();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    check(result);
  }
  times.sort((a, b) => a - b);
  const middle = times.length >> 1;
  const median = times.length % 2 ? times[middle] : (times[middle - 1] + times[middle]) / 2;
  timings[name] = { median_ms: median, min_ms: times[0], runs: RUNS };
  return result;
}

// ------------------------------------------------------------------ the operations

await measure("generate_399_key_packages", async () => {
  const packages = [];
  for (let i = 1; i < SIZE; i++) packages.push(await keyPackage(`m${i}`));
  return packages;
}, (packages) => expect(packages.length === SIZE - 1, "399 key packages"));

// m0 creates the group and adds m1; then 398 more key packages (untimed).
const [m0, m1] = [await keyPackage("m0"), await keyPackage("m1")];
const founded = await createGroup(utf8("group"), m0.publicPackage, m0.privatePackage, [], cs, CLIENT_CONFIG);
const two = await commit(founded, [{ proposalType: "add", add: { keyPackage: m1.publicPackage } }]);
const [first, second] = [two.newState, await join(welcomeOf(two), m1)];
const bundles = [];
for (let i = 2; i < SIZE; i++) bundles.push(await keyPackage(`m${i}`));

const added = await measure("commit_adding_399", () =>
  commit(first, bundles.map(({ publicPackage }) => ({ proposalType: "add", add: { keyPackage: publicPackage } }))),
(result) => {
  expect(epoch(result.newState) === 2 && members(result.newState) === SIZE, "the add commit makes 400 members");
  expect(result.welcome.secrets.length === SIZE - 2, "the Welcome is for 398");
});

const addCommit = wire(added.commit).publicMessage;
const { newState: secondAfterAdd } = await measure("process_add_commit", () => receive(second, addCommit),
  (result) => agrees(result.newState, added.newState, "processing the add commit"));

const welcome = welcomeOf(added);
await measure("join_from_welcome", () => join(welcome, bundles[5]), (state) => {
  agrees(state, added.newState, "joining");
  expect(state.privatePath.leafIndex === 7, "m7 joins at leaf 7");
});

const removed = await measure("remove_commit_with_path", () =>
  commit(added.newState, [{ proposalType: "remove", remove: { removed: REMOVED } }]),
(result) => {
  expect(epoch(result.newState) === 3 && members(result.newState) === SIZE - 1, "the remove commit leaves 399");
  expect(result.commit.publicMessage.content.commit.path !== undefined, "the remove commit has a path");
});

const removeCommit = wire(removed.commit).publicMessage;
await measure("process_remove_commit", () => receive(secondAfterAdd, removeCommit),
  (result) => agrees(result.newState, removed.newState, "processing the remove commit"));

process.stdout.write(`${JSON.stringify(timings)}\n`);
