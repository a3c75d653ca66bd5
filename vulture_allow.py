"""Names in src/ that vulture reports unused but that are used where it cannot see.

``make deadcode`` runs vulture over ``src`` and this file (settings in ``[tool.vulture]`` of
pyproject.toml; FastAPI routes, exception handlers and SQLAlchemy event listeners are
recognised by their decorators there). Each line below is a use vulture cannot see, with the
reason. This file is read, never imported or run. Add a name only with its reason; remove it
when the reason goes away.
"""

# ruff: noqa
# mypy: ignore-errors

# --- read by a framework or library --------------------------------------------------------
_.impl  # UTCDateTime (adapters/db/tables.py): SQLAlchemy's TypeDecorator reads it
_.cache_ok  # UTCDateTime: SQLAlchemy reads it to cache statements that use the type
_.process_bind_param  # UTCDateTime: SQLAlchemy calls it on every value written
_.process_result_value  # UTCDateTime: SQLAlchemy calls it on every value read
_.isolation_level  # adapters/db/engine.py sets it on sqlite3 connections: we issue BEGIN
_.prepared_max  # adapters/db/engine.py sets it on psycopg connections: statements kept prepared
_.globals  # adapters/web/templating.py adds to jinja2's Environment.globals: templates read it
down_revision  # every migration (adapters/db/migrations/versions/): Alembic reads it
app_from_env  # bootstrap.py: uvicorn imports it by name for `ownit serve --workers N`
branch_labels  # every migration: Alembic reads it
downgrade  # every migration: Alembic calls it on `alembic downgrade`
indentless  # _Dumper.increase_indent (adapters/catalog/yaml_source.py): PyYAML passes it
_._pool  # notifiers/outbound.GuardedTransport._pool: httpx.HTTPTransport sends through it
discover  # chaosownit.discover: `chaos discover` calls an extension's discover() by name
discover_system  # chaosownit.discover(discover_system=...): the argument Chaos Toolkit passes
model_config  # api_settings.SettingsIn: pydantic reads it (unknown fields refused, 422)

# --- read by Jinja templates (adapters/web/templates/) ---------------------------------------
_.cx  # dependency_picture.Box.cx: _dependency_picture.html centres each label on it
_.y1  # dependency_picture.Edge.y1: _dependency_picture.html draws each edge from it
_.x2  # dependency_picture.Edge.x2: _dependency_picture.html draws each edge to it
_.y2  # dependency_picture.Edge.y2: _dependency_picture.html draws each edge to it
_.colour  # timeline_picture.Bar.colour: schedule.html picks the bar's palette class
_.has_login  # app/invitations.Person.has_login: people.html shows "has a login"
_.starts_after  # app/policy_reach.LevelReach.starts_after: _catalog.html, "notified after"
_.reaches_nobody  # app/policy_reach.LevelReach.reaches_nobody: _catalog.html warns

# --- used by tests and benchmarks only --------------------------------------------------------
restarts  # cli/engine_process.EngineProcess.restarts: tests/integration/test_engine_process.py
route_naive  # domain/routing.py: the reference walk tests/unit/test_routing.py and
# benchmarks/routing.py check the compiled router against
team_role  # domain/permissions.py: tests/unit/test_permissions.py tests it; no caller in src
learning_of  # app/postmortems.py: the query standards read (issue 14); tested by
# tests/integration/test_postmortem_learning.py
record_of  # domain/analytics/records.py: a history as stored; the agreement tests use it
responder_report  # domain/analytics/responders.py: the figures from histories (the table tests)

# --- files other work is changing now: clean up there, then drop these lines ------------------
Drills.INCLUDE  # domain/analytics/history.py: chosen by its value, "drills=include" in a query
