"""Analytics: the figures ownit prints about incidents and responders, as pure rules.

``history`` holds the plain incident histories the rules read, ``period`` the window and its
parsing, ``stats`` the nearest-rank percentiles, ``incidents`` the incident figures (counts,
TTA, TTR, grouped), ``responders`` the per-person figures (pages, interruptions, time on call,
own TTA) and ``noise`` the noisiest services and alert keys. ``docs/analytics.md`` gives every
definition with a worked example. Modules import their siblings by module.
"""
