"""Opsgenie maintenance (``GET /v1/maintenance`` and ``GET /v1/maintenance/{id}``) as
``MaintenanceWindow`` documents.

An Opsgenie maintenance has a ``time`` (``type`` ``schedule`` with ``startDate`` and
``endDate``; ``for-5-minutes`` … ``for-1-hour`` and ``indefinitely`` run from when it was
made) and ``rules`` of ``{state, entity: {id, type}}`` over integrations and policies. An
integration ``disabled`` during maintenance drops its alerts: ownit's window on the service
that holds the integration (one per owner team, :mod:`.opsgenie_alerts`) stores triggers and
pages nobody, which is the nearest; it covers the team's other integrations too (reported).
Rules over policies (alert and notification policies) have no ownit equivalent: reported.
The list answer has no rules; ``maintenance/<id>.json`` (the single answer) is read for them.
"""

from __future__ import annotations

from ownit.domain.catalog.model import JsonObject, JsonValue
from ownit.domain.importers.answers import Answers, Obj, items, single
from ownit.domain.importers.names import slugify
from ownit.domain.importers.output import Import


def _detail(answers: Answers, src: Obj) -> Obj:
    return single(answers, f"maintenance/{src.text('id')}", "data") or src


def import_maintenance(answers: Answers, state: Import, owners: dict[str, str]) -> None:
    """Write a window per maintenance still to come; ``owners``: integration id → service."""
    names = state.names_of("MaintenanceWindow")
    rows = items(answers, "maintenance", "data", required=False)
    for src in sorted((_detail(answers, r) for r in rows), key=lambda r: r.text("id")):
        mid = src.text("id")
        name = names.add(mid, slugify(src.opt_text("description") or mid, "maintenance"))
        time = src.obj("time")
        kind = time.text("type")
        if kind != "schedule":
            state.report.skipped(
                "MaintenanceWindow",
                name,
                f"Opsgenie maintenance {mid} runs {kind!r} from when it was made, not at set "
                "times: not imported (start one with `ownit maintenance` when needed)",
            )
            continue
        start, end = time.instant("startDate"), time.instant("endDate")
        if end <= state.now or src.opt_text("status") in ("past", "cancelled"):
            state.report.skipped("MaintenanceWindow", name, f"ended at {end.isoformat()}")
            continue
        services = _services(src, name, owners, state)
        if not services:
            state.report.skipped(
                "MaintenanceWindow",
                name,
                f"Opsgenie maintenance {mid} disables no imported integration: not imported",
            )
            continue
        spec: JsonObject = {
            "services": list[JsonValue](sorted(services)),
            "start": start.isoformat(),
            "end": end.isoformat(),
        }
        if src.opt_text("description"):
            spec["description"] = src.text("description")[:500]
        state.add("MaintenanceWindow", name, spec)
        state.report.imported("MaintenanceWindow", name, f"from Opsgenie maintenance {mid}")


def _services(src: Obj, name: str, owners: dict[str, str], state: Import) -> set[str]:
    services: set[str] = set()
    for rule in src.objs("rules"):
        entity = rule.obj("entity")
        etype, eid = entity.text("type"), entity.text("id")
        if etype == "integration" and rule.opt_text("state") == "disabled" and eid in owners:
            services.add(owners[eid])
            state.report.changed(
                "MaintenanceWindow",
                name,
                f"integration {eid} disabled in Opsgenie: the window covers all of service "
                f"{owners[eid]} (ownit's windows are per service)",
            )
        elif etype == "integration" and rule.opt_text("state") == "disabled":
            state.report.skipped("MaintenanceWindow", name, f"integration {eid} is not imported")
        elif etype == "integration":
            continue  # an integration left enabled: nothing changes during the window
        else:
            state.report.skipped(
                "MaintenanceWindow",
                name,
                f"rule over {etype} {eid} (state {rule.opt_text('state')}): ownit has no "
                "alert or notification policies",
            )
    return services
