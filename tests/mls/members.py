"""Building members and groups for the MLS tests, deterministically."""

from __future__ import annotations

import enum
import random

from spec_model.mls.group import Group, GroupConfig
from spec_model.mls.key_package import KeyPackageBundle, generate_key_package
from spec_model.mls.leaf_node import Credential
from spec_model.mls.message import MLSMessage
from spec_model.mls.proposals import Add
from spec_model.mls.suites import CipherSuite


def seeded_rng(seed: int):
    """A deterministic ``rng(n) -> bytes`` for reproducible tests."""
    generator = random.Random(seed)
    return lambda n: generator.randbytes(n)


def bundle(cs: CipherSuite, name: str, rng=None) -> KeyPackageBundle:
    signature_priv, _ = cs.generate_signature_key_pair(rng)
    return generate_key_package(cs, Credential.basic(name.encode()), signature_priv, rng=rng)


def founder(cs: CipherSuite, name: str = "m0", *, group_id: bytes = b"group", extensions=(),
            config: GroupConfig = GroupConfig(), rng=None) -> Group:
    b = bundle(cs, name, rng)
    return Group.create(cs, group_id, b.key_package.leaf_node, b.encryption_priv, b.signature_priv, extensions,
                        config=config, rng=rng)


def join(welcome: MLSMessage, b: KeyPackageBundle, **kwargs) -> Group:
    return Group.join(welcome.body, b.key_package, b.init_priv, b.encryption_priv, b.signature_priv, **kwargs)


def group_of(cs: CipherSuite, n: int, *, private: bool = False, config: GroupConfig = GroupConfig(),
             rng=None) -> list[Group]:
    """``n`` members: member 0 creates the group and adds the others in one commit."""
    first = founder(cs, config=config, rng=rng)
    bundles = [bundle(cs, f"m{i}", rng) for i in range(1, n)]
    if not bundles:
        return [first]
    pending = first.commit(tuple(Add(b.key_package) for b in bundles), private=private, rng=rng)
    first.merge_pending_commit()
    return [first, *(join(pending.welcome, b, config=config) for b in bundles)]


def deliver(message: MLSMessage, groups, sender: Group) -> list:
    """Every member but ``sender`` processes ``message``; their results, in order."""
    return [g.process(message) for g in groups if g is not sender and g.active]


def commit_and_deliver(committer: Group, groups, *args, **kwargs):
    pending = committer.commit(*args, **kwargs)
    committer.merge_pending_commit()
    deliver(pending.message, groups, committer)
    return pending


def state_of(group: Group):
    """A deep, comparable snapshot of everything a rejected message must leave unchanged:
    the epoch states (tree, secrets, ratchets, keys), the proposal cache and the flags."""
    return _snapshot((group.state, group.past_states, group.proposals, group.active, group.resumption_psks,
                      group.pending_commit, group.reinit))


def _snapshot(value):
    if isinstance(value, CipherSuite):
        return ("suite", value.id)
    if isinstance(value, enum.Enum):
        return (type(value).__name__, value.value)
    if value is None or isinstance(value, (bytes, int, str, float, bool)):
        return value
    if isinstance(value, dict):
        return tuple(sorted((repr(_snapshot(k)), _snapshot(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_snapshot(v) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, (set, frozenset)) else tuple(items)
    fields = dict(getattr(value, "__dict__", {}))
    for cls in type(value).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if hasattr(value, name):
                fields[name] = getattr(value, name)
    return (type(value).__name__, _snapshot(fields))
