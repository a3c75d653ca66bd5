"""``ownit catalog lint|diff|apply|export`` as a user runs them, on a SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ownit.cli.main import main

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.yaml"

TEAM = """\
apiVersion: ownit/v1
kind: User
metadata: {name: alice}
spec: {email: alice@example.com}
---
apiVersion: ownit/v1
kind: Team
metadata: {name: payments}
spec:
  displayName: Payments
  members: [{user: alice, role: manager}]
"""

SERVICE = """\
apiVersion: ownit/v1
kind: Service
metadata: {name: cart}
spec:
  owner: payments
  integrations: [{name: events, type: events-v2}]
"""


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "ownit.db"
    monkeypatch.setenv("OWNIT_DATABASE_URL", f"sqlite:///{path}")
    return path


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_demo_lints_clean_without_a_database(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "lint", str(DEMO)]) == 0
    out, err = capsys.readouterr()
    assert out == "ok: 1 file, 25 documents, no problems\n"
    assert "checking the files alone" in err
    assert not db.exists()  # lint never creates a database


def test_the_demo_applies_and_a_second_apply_changes_nothing(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "apply", str(DEMO), "--source", "demo"]) == 0
    out = capsys.readouterr().out
    assert "+ user alice\n" in out
    assert "+ service checkout-api\n" in out
    assert 'applied: 25 created, 0 changed, 0 deleted, 0 unchanged (source "demo")\n' in out
    assert "  checkout-api/events (events-v2): checkoutapi00000000000000000000e\n" in out
    assert main(["catalog", "apply", str(DEMO), "--source", "demo"]) == 0
    assert capsys.readouterr().out == "nothing to change: 25 unchanged\n"
    assert main(["catalog", "lint", str(DEMO)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("ok: 1 file, 25 documents, no problems\n", "")


def test_lint_prints_every_problem_and_fails(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(
        tmp_path, "bad.yaml", SERVICE.replace("owner: payments", "owner: paymnts\n  tier: 7")
    )
    team = write(tmp_path, "team.yaml", TEAM)
    missing = str(tmp_path / "missing.yaml")
    assert main(["catalog", "lint", team, bad, missing]) == 1
    assert capsys.readouterr().out == (
        f'{bad}:5: owner "paymnts" does not exist (did you mean "payments"?)\n'
        f"{bad}:6: tier must be a whole number from 1 to 4, not 7\n"
        f"{missing}: cannot read the file: No such file or directory\n"
        "3 problems (3 files, 3 documents)\n"
    )


def test_lint_resolves_references_to_applied_objects(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = write(tmp_path, "service.yaml", SERVICE)
    assert main(["catalog", "lint", service]) == 1
    assert main(["catalog", "apply", write(tmp_path, "team.yaml", TEAM)]) == 0
    capsys.readouterr()
    assert main(["catalog", "lint", service]) == 0
    assert capsys.readouterr().out == "ok: 1 file, 1 document, no problems\n"


def test_diff_shows_what_apply_would_do(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = write(tmp_path, "team.yaml", TEAM)
    assert main(["catalog", "diff", team]) == 0
    assert capsys.readouterr().out == (
        "+ user alice\n+ team payments\n2 to create, 0 to change, 0 to delete, 0 unchanged\n"
    )
    assert main(["catalog", "apply", team]) == 0
    renamed = write(
        tmp_path, "team.yaml", TEAM.replace("displayName: Payments", "displayName: Pay")
    )
    capsys.readouterr()
    assert main(["catalog", "diff", renamed]) == 0
    assert capsys.readouterr().out == (
        '~ team payments: displayName: "Payments" → "Pay"\n'
        "0 to create, 1 to change, 0 to delete, 1 unchanged\n"
    )


def test_apply_with_a_problem_changes_nothing(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "apply", write(tmp_path, "team.yaml", TEAM)]) == 0
    assert main(["catalog", "export", "-o", str(tmp_path / "before.yaml")]) == 0
    changed = TEAM.replace("Payments", "Money") + "---\n" + SERVICE.replace("events-v2", "sms")
    capsys.readouterr()
    assert main(["catalog", "apply", write(tmp_path, "all.yaml", changed)]) == 1
    out = capsys.readouterr().out
    assert out.endswith("1 problem: nothing applied\n")
    assert 'integrations[0].type "sms" is not one of events-v2, alertmanager' in out
    assert main(["catalog", "export", "-o", str(tmp_path / "after.yaml")]) == 0
    assert (tmp_path / "after.yaml").read_text() == (tmp_path / "before.yaml").read_text()


def test_apply_prints_generated_keys_and_prune_deletes(
    tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    both = write(tmp_path, "both.yaml", TEAM + "---\n" + SERVICE)
    assert main(["catalog", "apply", both, "--source", "ci"]) == 0
    out = capsys.readouterr().out
    assert "+ service cart\n" in out
    assert "new integrations and their keys:\n  cart/events (events-v2): " in out
    only_team = write(tmp_path, "team.yaml", TEAM)
    assert main(["catalog", "diff", only_team, "--source", "ci", "--prune"]) == 0
    assert (
        capsys.readouterr().out
        == "- service cart\n0 to create, 0 to change, 1 to delete, 2 unchanged\n"
    )
    assert main(["catalog", "apply", only_team, "--source", "ci", "--prune"]) == 0
    assert "applied: 0 created, 0 changed, 1 deleted, 2 unchanged" in capsys.readouterr().out


def test_export_round_trips(tmp_path: Path, db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "apply", str(DEMO), "--source", "demo"]) == 0
    capsys.readouterr()
    assert main(["catalog", "export"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("---\napiVersion: ownit/v1\nkind: User\nmetadata:\n  name: alice\n")
    exported = write(tmp_path, "export.yaml", first)
    assert main(["catalog", "apply", exported, "--source", "demo"]) == 0
    assert capsys.readouterr().out == "nothing to change: 25 unchanged\n"
    out_file = tmp_path / "again.yaml"
    assert main(["catalog", "export", "-o", str(out_file)]) == 0
    assert capsys.readouterr().out == f"exported 25 documents to {out_file}\n"
    assert out_file.read_text(encoding="utf-8") == first


def test_export_without_a_database_is_an_error(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["catalog", "export"]) == 2
    assert "no catalog database at sqlite:///" in capsys.readouterr().err
    assert not db.exists()


INWARD = """\
apiVersion: ownit/v1
kind: User
metadata: {name: alice}
spec:
  email: alice@example.com
  contacts:
    - {name: mail, type: email, address: alice@example.com}
    - {name: hook, type: webhook, url: "http://169.254.169.254/latest/",
       secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
    - {name: chat, type: slack, webhookUrl: "https://93.184.215.14/services/x"}
"""


@pytest.mark.parametrize(
    ("allow", "warned"),
    [
        ("", True),
        ("169.254.169.254/32", False),
    ],
)
@pytest.mark.parametrize("command", ["lint", "apply"])
def test_contact_urls_outgoing_calls_would_refuse_are_warned_about(
    tmp_path: Path,
    db: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    allow: str,
    warned: bool,
) -> None:
    monkeypatch.setenv("OWNIT_OUTBOUND_ALLOW", allow)
    users = write(tmp_path, "users.yaml", INWARD)
    assert main(["catalog", command, users]) == 0  # a warning, not a problem
    err = capsys.readouterr().err
    warning = (
        f"{users}:8: warning: user alice, contact hook: deliveries to this URL will be "
        "refused: 169.254.169.254 is a cloud metadata address; allow it with "
        "OWNIT_OUTBOUND_ALLOW\n"
    )
    assert (warning in err) is warned
    assert "contact chat" not in err
    assert "contact mail" not in err
