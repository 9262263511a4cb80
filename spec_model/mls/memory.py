"""A bounded memory of results keyed by their inputs, shared by the threads of one process.

The model remembers what is a function of its inputs alone (a signature that verified, RFC 9420 §5.1.2; a key
loaded from its bytes, RFC 9180 §7.1.2; a tree checked from a GroupInfo, RFC 9420 §12.4.3.1; an epoch's secrets, §8;
a Welcome's GroupInfo decrypted, §12.4.3.1; a tree node's hash, §7.8; a node's key pair from its path secret, §7.4),
so that the members of a group do not each compute it again. A memory holds at most ``limit`` entries and forgets
the oldest first; limit 0 remembers nothing. The XMTP API server's threads share it, hence the lock.

Every such memory of the process, ``Memory`` or a ``functools.lru_cache`` function registered with ``process_wide``, is
emptied by ``forget_all``: what a process computes next, it computes as a process just started would (a benchmark
that times one of many installations, each of which would run in its own process). Tables of constants (suite
objects, protobuf tags) are not memories of inputs and stay.
"""

from __future__ import annotations

import collections
import threading
import weakref
from typing import Callable, Generic, Hashable, TypeVar

__all__ = ["Memory", "process_wide", "forget_all"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memory(Generic[K, V]):
    """model: at most ``limit`` entries, oldest first (see the module docstring)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._entries: collections.OrderedDict[K, V] = collections.OrderedDict()  # forgets its oldest in O(1)
        self._lock = threading.Lock()
        _MEMORIES.add(self)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: K) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        """model: the remembered value, or ``None``."""
        return self._entries.get(key)

    def keys(self) -> list[K]:
        """model: the remembered keys, oldest first."""
        with self._lock:
            return list(self._entries)

    def put(self, key: K, value: V) -> None:
        """model: remember ``value`` for ``key`` (nothing while the limit is 0), forgetting the oldest if full."""
        with self._lock:
            if not self.limit:
                return
            if len(self._entries) >= self.limit:
                self._entries.popitem(last=False)
            self._entries[key] = value

    def recall(self, key: K, compute: Callable[[], V], remembering: bool = True) -> V:
        """model: the value remembered for ``key``, else ``compute()``, then remembered; neither read nor filled
        unless ``remembering`` (``suites.verifications_remembered()`` for the memories benchmarks switch off). A
        ``compute`` that raises leaves nothing behind."""
        if not remembering:
            return compute()
        value = self.get(key)
        if value is None:
            value = compute()
            self.put(key, value)
        return value

    def reset(self, limit: int) -> int:
        """model: forget everything and hold at most ``limit`` entries from now; returns the limit before."""
        with self._lock:
            before, self.limit = self.limit, limit
            self._entries.clear()
        return before


_MEMORIES: "weakref.WeakSet[Memory]" = weakref.WeakSet()
_CACHED_FUNCTIONS: list[Callable] = []

F = TypeVar("F", bound=Callable)


def process_wide(cached: F) -> F:
    """model: ``cached`` (a ``functools.lru_cache`` function of its inputs alone) is one of the process's memories,
    emptied by ``forget_all``; returns it."""
    _CACHED_FUNCTIONS.append(cached)
    return cached


def forget_all() -> None:
    """model: empty every ``Memory`` and every ``process_wide`` function's cache, limits kept (see the module
    docstring)."""
    for memory in list(_MEMORIES):
        memory.reset(memory.limit)
    for cached in _CACHED_FUNCTIONS:
        cached.cache_clear()
