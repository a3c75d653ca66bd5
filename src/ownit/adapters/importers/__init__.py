"""Importers' input and output: saved API answers read from a directory, the live APIs of
PagerDuty, Opsgenie and Grafana OnCall (paginated, honouring 429 ``Retry-After``), and the
catalog files and report written to the output directory."""
