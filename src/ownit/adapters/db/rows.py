"""Rows as plain dicts (keys as plain ``str``: SQLAlchemy's ``quoted_name`` upsets orjson)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row


def row_dict(row: Row[*tuple[Any, ...]]) -> dict[str, Any]:
    return {str(key): value for key, value in row._mapping.items()}
