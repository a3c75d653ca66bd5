"""``tune_gc``: what ``ownit serve`` and each of its ``--workers`` do once the app is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ownit.bootstrap.gc_tuning import GEN0_THRESHOLD, tune_gc


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_startup_objects_are_frozen_and_young_collections_are_rarer() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    kept = [[n] for n in range(100)]  # containers alive at startup
    tune_gc()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (GEN0_THRESHOLD, 20, 100)
    assert GEN0_THRESHOLD > 700  # Python's default, which it replaces
