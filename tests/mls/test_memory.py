"""spec_model/mls/memory.py: a bounded memory forgets its oldest entry first, limit 0 remembers nothing, and
``forget_all`` empties every memory of the process."""

import functools

from spec_model.mls.memory import Memory, forget_all, process_wide


def test_the_oldest_entry_goes_first():
    memory: Memory[str, int] = Memory(2)
    for n, key in enumerate("abc"):
        memory.put(key, n)
    assert memory.keys() == ["b", "c"] and memory.get("a") is None and memory.get("c") == 2 and "b" in memory


def test_limit_zero_remembers_nothing_and_reset_empties():
    memory: Memory[str, int] = Memory(0)
    memory.put("a", 1)
    assert len(memory) == 0
    assert memory.reset(3) == 0
    memory.put("a", 1)
    assert memory.reset(0) == 3 and len(memory) == 0


def test_recall_computes_once_while_remembering_and_never_keeps_a_failure():
    memory: Memory[str, int] = Memory(4)
    calls = []
    compute = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert memory.recall("a", compute) == 1 and memory.recall("a", compute) == 1 and len(calls) == 1
    assert memory.recall("b", compute, remembering=False) == 2 and "b" not in memory
    assert memory.recall("a", compute, remembering=False) == 3  # switched off: not read either

    def fails():
        raise ValueError("no")
    try:
        memory.recall("c", fails)
    except ValueError:
        pass
    assert "c" not in memory


def test_forget_all_empties_every_memory_and_registered_cache_and_keeps_limits():
    memory: Memory[str, int] = Memory(2)
    memory.put("a", 1)
    calls = []

    @process_wide
    @functools.lru_cache(maxsize=4)
    def double(n: int) -> int:
        calls.append(n)
        return 2 * n

    double(1), double(1)
    forget_all()
    assert len(memory) == 0 and memory.limit == 2 and double.cache_info().currsize == 0
    double(1)
    assert calls == [1, 1]
