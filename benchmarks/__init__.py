"""Benchmarks: one script per hot path, each printing comparable figures."""
