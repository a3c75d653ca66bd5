"""Who is on call, and how each person wants to be told.

- :mod:`.rotations` — one schedule layer on its own: wall-clock rotation, handoffs,
  restriction windows, and placing local times on the timeline across DST changes;
- :mod:`.schedules` — the final schedule: layers stacked, overrides on top, gaps;
- :mod:`.notification_rules` — a person's rules: which contact, how long after the page.

Import from the modules (``from ownit.domain.oncall import schedules``): they are
independent of each other's callers, and the catalog reads them too.
"""
