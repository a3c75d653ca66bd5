"""The report line for an integration whose key ownit makes (Opsgenie, Grafana OnCall): its
senders cannot keep their URL or key, so the line names the integration and what changes."""

from __future__ import annotations

from ownit.domain.importers.answers import Obj

SENDS = {
    "alertmanager": "Alertmanager `webhook_configs` to `https://<ownit>/integrations/alertmanager/"
    "<key>`",
    "events-v2": "Events API v2 to `https://<ownit>/v2/enqueue` with `routing_key: <key>`",
}


def new_key(iname: str, itype: str, src: Obj, source: str) -> str:
    """``iname`` (an ownit integration of ``itype``) gets a new key; ``src`` is the source's
    integration (its ``name`` and ``type``)."""
    was = f"{source} integration {src.opt_text('name') or src.text('id')!r}"
    if src.opt_text("type"):
        was += f" ({src.text('type')})"
    return (
        f"integration `{iname}` gets a new key on apply (`ownit integration list`): {was} "
        f"senders switch to {SENDS[itype]}"
    )
