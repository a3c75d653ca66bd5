"""The worker: the durable loop that ``ownit worker`` (and ``ownit serve``) runs.

- :mod:`.loop` — :class:`~ownit.worker.loop.Worker`: due escalations advanced one incident
  at a time, due notifications delivered, missed heartbeats raised;
- :mod:`.links` — the signed one-click links put into pages.
"""
