"""``ownit catalog lint --format`` and ``ownit catalog import-backstage`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ownit.cli.main import main

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "backstage"
ORG = str(SAMPLES / "org.yaml")
CHECKOUT = str(SAMPLES / "checkout" / "catalog-info.yaml")
BAD = """\
apiVersion: ownit/v1
kind: Service
metadata: {name: cart}
spec:
  owner: paymnts
  tier: 7
"""


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ownit.db"
    monkeypatch.setenv("OWNIT_DATABASE_URL", f"sqlite:///{path}")
    return path


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        (
            "human",
            '{f}:5: owner "paymnts" does not exist\n'
            "{f}:6: tier must be a whole number from 1 to 4, not 7\n"
            "2 problems (1 file, 1 document)\n",
        ),
        (
            "github",
            '::error file={f},line=5::owner "paymnts" does not exist\n'
            "::error file={f},line=6::tier must be a whole number from 1 to 4, not 7\n"
            "2 problems (1 file, 1 document)\n",
        ),
    ],
)
def test_lint_formats_fail_on_errors(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str], fmt: str, expected: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    assert main(["catalog", "lint", "--format", fmt, str(bad)]) == 1
    assert capsys.readouterr().out == expected.format(f=bad)


def test_lint_json(tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, encoding="utf-8")
    assert main(["catalog", "lint", "--format", "json", str(bad)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert [(p["file"], p["line"], p["severity"]) for p in report["problems"]] == [
        (str(bad), 5, "error"),
        (str(bad), 6, "error"),
    ]
    good = tmp_path / "good.yaml"
    good.write_text(BAD.replace("paymnts", "x").replace("  tier: 7\n", ""), encoding="utf-8")
    assert main(["catalog", "lint", "--format", "json", str(good)]) == 1  # no team x
    capsys.readouterr()


def test_import_to_a_file_then_lint_and_apply(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ownit.yaml"
    assert main(["catalog", "import-backstage", ORG, CHECKOUT, "-o", str(out)]) == 0
    stdout, stderr = capsys.readouterr()
    assert f"converted 2 files into 9 documents to {out}, 17 notes\n" == stdout
    assert f'note: {ORG}:48: User "carol.smith" is named "carol-smith" in ownit\n' in stderr
    assert "add match (label matchers)" in stderr
    assert main(["catalog", "lint", "--format", "github", str(out)]) == 0
    assert capsys.readouterr().out == "ok: 1 file, 9 documents, no problems\n"
    assert main(["catalog", "apply", str(out), "--source", "backstage"]) == 0
    assert "applied: 9 created" in capsys.readouterr().out
    # Importing and applying the same files again changes nothing.
    assert main(["catalog", "import-backstage", ORG, CHECKOUT, "--apply"]) == 0
    stdout, _ = capsys.readouterr()
    assert stdout == "nothing to change: 9 unchanged\n"


def test_import_to_stdout_and_apply(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "import-backstage", ORG, CHECKOUT]) == 0
    stdout, stderr = capsys.readouterr()
    assert stdout.startswith("---\napiVersion: ownit/v1\nkind: User\n")
    assert "converted 2 files into 9 documents, 17 notes\n" in stderr
    assert main(["catalog", "import-backstage", ORG, CHECKOUT, "--apply", "--source", "bs"]) == 0
    stdout, _ = capsys.readouterr()
    assert "+ service checkout-api\n" in stdout
    assert 'applied: 9 created, 0 changed, 0 deleted, 0 unchanged (source "bs")\n' in stdout
    assert "checkout-api/pagerduty (events-v2): 0123456789abcdef0123456789abcdef\n" in stdout


def test_import_reports_what_does_not_lint(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lonely = tmp_path / "catalog-info.yaml"
    lonely.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: cart}\n"
        "spec: {type: service, owner: ghosts}\n",
        encoding="utf-8",
    )
    assert main(["catalog", "import-backstage", str(lonely)]) == 1
    _, stderr = capsys.readouterr()
    assert "is not a Group in these files" in stderr
    assert '<backstage import>:7: owner "ghosts" does not exist\n' in stderr
    assert "1 problem in the converted catalog\n" in stderr
    assert main(["catalog", "import-backstage", str(lonely), "--apply"]) == 1
    assert "1 problem: nothing applied" in capsys.readouterr().out


def test_unreadable_input_converts_nothing(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: [\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    assert main(["catalog", "import-backstage", str(broken), "-o", str(out)]) == 1
    assert "nothing converted" in capsys.readouterr().out
    assert not out.exists()
