"""The ingest writer's ids take their random bytes from a pool (decision 0071): every id still
has its own, across refills, threads and a forked child."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

import pytest

from ownit.adapters.db import ingest_writes
from ownit.adapters.db.ingest_writes import ENTROPY_READ, ID_ENTROPY, new_id

NOW = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)


def test_ids_made_in_one_millisecond_are_unique_across_refills_of_the_pool() -> None:
    count = 3 * ENTROPY_READ // ID_ENTROPY + 7  # the pool is refilled three times
    made = [new_id("inc", NOW) for _ in range(count)]
    assert len(set(made)) == count
    assert len({made_id[14:] for made_id in made}) == count  # the entropy part alone


def test_threads_draw_from_pools_of_their_own() -> None:
    made: dict[str, list[str]] = {}

    def make(name: str) -> None:
        made[name] = [new_id("alr", NOW) for _ in range(300)]

    threads = [threading.Thread(target=make, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(made["a"]) & set(made["b"])
    assert len(set(made["a"])) == len(set(made["b"])) == 300


def test_a_forked_child_never_makes_its_parents_next_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_writes, "_entropy", ingest_writes._Entropy())
    new_id("evt", NOW)  # the parent's pool now holds bytes not yet used
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its next id, to the parent
        try:
            os.write(write, new_id("evt", NOW).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    with os.fdopen(read) as pipe:
        childs = pipe.read()
    assert childs
    assert childs != new_id("evt", NOW)
