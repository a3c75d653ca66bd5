"""ownit's rules, pure: frozen dataclasses in, decisions out; the standard library only, and
time always an argument (no clock, no I/O).

Packages: :mod:`.catalog` (the ``ownit/v1`` kinds, validation, diff), :mod:`.oncall`
(rotations, schedules, notification rules), :mod:`.escalation` (policies and their walk),
:mod:`.ingest` (where events go, dedup, grouping, the batch plan), :mod:`.backstage`
(Backstage files to catalog documents). Modules: events, incidents, routing, matchers,
dependencies, permissions, durations, ids, errors, ratelimit, login_throttle, passwords.
"""
