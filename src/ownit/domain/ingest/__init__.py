"""Ingest's rules: what a batch of events does to alerts and incidents.

- :mod:`.services` — a service as ingest needs it, parsed from its stored spec (components,
  grouping), and the escalation policy as frozen on a new incident.
- :mod:`.destinations` — the component that owns an event, the policy a new incident
  freezes, one destination per (service, component).
- :mod:`.resolution` — where each event goes: its key's service, or a router's decision
  turned into pages, quiet keeps and drops with the decision path.
- :mod:`.maintenance` — which services a running maintenance window holds triggers back for.
- :mod:`.planning` — what a batch must read (open alerts, windows, group heads) and the
  whole batch folded into one plan, with an answer per item.
- :mod:`.dedup` — folding events into open alerts (the Events API v2 dedup rules), grouping
  into open incidents, and the plan the store writes in one transaction.
"""
