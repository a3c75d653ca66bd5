"""Ingest's rules: what a batch of events does to alerts and incidents.

- :mod:`.dedup` — folding events into open alerts (the Events API v2 dedup rules), grouping
  into open incidents, and the plan the store writes in one transaction.
"""
