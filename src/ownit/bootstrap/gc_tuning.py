"""The garbage collector's settings for a serving process (``ownit serve``, each of its
``--workers``, and the benchmarks that time pages in process the way the server runs)."""

from __future__ import annotations

import gc

GEN0_THRESHOLD = 50_000
"""Container allocations between young collections (Python's default: 700)."""


def tune_gc() -> None:
    """Long-lived objects made so far never become garbage: keep them out of collections,
    and collect less often (full collections under load were the p99's worst pauses; a page
    that builds some ten thousand rows otherwise sets off a full collection of the whole
    application, ~100 ms: decision 0066)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, 20, 100)
