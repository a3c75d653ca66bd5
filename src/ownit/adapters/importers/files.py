"""Writing an import: one YAML file per kind and ``import-report.md`` in the output directory.
Files of an earlier import that this one does not write are left alone."""

from __future__ import annotations

from pathlib import Path

from ownit.adapters.catalog.yaml_source import dump_documents
from ownit.domain.importers import REPORT_FILE, Import


class WriteError(OSError):
    """The output directory or a file in it could not be written."""


def write_import(state: Import, directory: str) -> list[str]:
    """Write every file; return their paths, the report last."""
    out = Path(directory)
    written: list[str] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, documents in state.files().items():
            path = out / name
            path.write_text(dump_documents(documents), encoding="utf-8")
            written.append(str(path))
        report = out / REPORT_FILE
        report.write_text(state.report_text(), encoding="utf-8")
        written.append(str(report))
    except OSError as exc:
        raise WriteError(f"cannot write to {directory}: {exc.strerror or exc}") from None
    return written
