"""Blameless postmortems: the postmortem and its action items (``model``), the timeline
filled in from the incident and the changes around it (``timeline``), blameless-wording
hints (``wording``) and which incidents need one (``policy``). Pure rules; time is an
argument (``docs/postmortems.md``)."""
