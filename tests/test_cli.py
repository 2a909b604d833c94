"""The doorbraak command."""

import io
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import cli
from app.models import Facilitator
from app.security import verify_password
from app.store.database import Database


def test_create_facilitator_reads_the_password_from_stdin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("een heel geheim wachtwoord\n"))
    cli.main(["create-facilitator", "--email", "Fenna@Buurt.nl", "--name", "Fenna"])
    assert "created facilitator fenna@buurt.nl" in capsys.readouterr().out
    db = Database(f"sqlite:///{tmp_path / 'doorbraak.db'}")
    found = db.read_sync(lambda s: s.execute(select(Facilitator)).scalar_one())
    assert verify_password(found.password_hash, "een heel geheim wachtwoord")
    with pytest.raises(SystemExit, match="bestaat al"):
        cli.main(["create-facilitator", "--email", "fenna@buurt.nl", "--name", "F", "--password", "nog een wachtwoord"])
    db.close()


def test_create_facilitator_refuses_a_short_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit, match="minstens 12 tekens"):
        cli.main(["create-facilitator", "--email", "a@b.nl", "--name", "A", "--password", "kort"])


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "wachtwoord12", "construction"])
def test_create_facilitator_refuses_a_password_that_is_easy_to_guess(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str
) -> None:
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit, match="te makkelijk te raden"):
        cli.main(["create-facilitator", "--email", "a@b.nl", "--name", "A", "--password", password])
    assert not (tmp_path / "doorbraak.db").exists()  # refused before the database is touched


def test_create_facilitator_refuses_a_password_the_sign_in_form_could_never_take(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("Kq" * 50_000 + "\n"))
    with pytest.raises(SystemExit, match="maximaal 1000 tekens"):
        cli.main(["create-facilitator", "--email", "a@b.nl", "--name", "A"])


def test_serve_refuses_several_workers_without_a_broadcast_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DOORBRAAK_BROADCAST_URL", raising=False)
    with pytest.raises(SystemExit, match="DOORBRAAK_BROADCAST_URL"):
        cli.main(["serve", "--workers", "2"])


@pytest.mark.parametrize(
    ("value", "problem"),
    [("abc", "valid number"), ("-5", "greater than or equal to 0"), ("5000", "less than or equal to 1000")],
)
def test_a_bad_setting_is_named_with_its_variable_not_a_traceback(
    value: str, problem: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DOORBRAAK_COMMIT_INTERVAL_MS", value)
    with pytest.raises(SystemExit) as stopped:
        cli.main(["serve"])
    message = str(stopped.value.code)
    assert message.startswith("Doorbraak cannot start with these settings:")
    assert "DOORBRAAK_COMMIT_INTERVAL_MS: Input should be" in message and problem in message
    assert repr(value) in message


def test_a_database_that_cannot_be_reached_is_named_without_its_password_or_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DOORBRAAK_DATABASE_URL", f"postgresql://doorbraak:geheim-wachtwoord@127.0.0.1:{port}/doorbraak")
    for command in (["serve"], ["migrate"]):
        with pytest.raises(SystemExit) as stopped:
            cli.main(command)
        message = str(stopped.value.code)
        assert message.startswith(f"The database postgresql://doorbraak:***@127.0.0.1:{port}/doorbraak cannot be used:")
        assert "refused" in message
    assert "geheim-wachtwoord" not in capsys.readouterr().out  # nor in what serve printed before it stopped


def test_serve_points_to_the_setup_page_only_while_no_one_has_an_account(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: None)
    cli.main(["serve"])
    assert "/setup to create your facilitator account" in capsys.readouterr().out
    cli.main(["create-facilitator", "--email", "a@b.nl", "--name", "A", "--password", "een lang wachtwoord 2026"])
    capsys.readouterr()
    cli.main(["serve"])
    # the setup page would only say there is an account already
    assert "/setup" not in capsys.readouterr().out


def test_serve_caps_malloc_arenas_for_itself_and_its_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    cli.cap_malloc_arenas()
    # worker processes started from here read it from the environment
    assert cli.os.environ["MALLOC_ARENA_MAX"] == str(cli.MALLOC_ARENAS)
    # an operator's own choice stands
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    cli.cap_malloc_arenas()
    assert cli.os.environ["MALLOC_ARENA_MAX"] == "4"


def test_backup_and_restore_say_what_they_did_and_refuse_in_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path / "data"))
    cli.main(["create-facilitator", "--email", "a@b.nl", "--name", "A", "--password", "een heel geheim wachtwoord"])
    cli.main(["backup", str(tmp_path / "copy.backup")])
    assert "backed up to" in capsys.readouterr().out
    cli.main(["restore", str(tmp_path / "copy.backup")])
    said = capsys.readouterr().out
    assert "0 workshops, 0 answers, revision" in said and "the database it replaced is kept at" in said
    (tmp_path / "notes.txt").write_text("geen database")
    with pytest.raises(SystemExit, match="not a readable SQLite database"):
        cli.main(["restore", str(tmp_path / "notes.txt")])
    monkeypatch.setenv("DOORBRAAK_DATABASE_URL", "postgresql://u:p@h/d")
    with pytest.raises(SystemExit, match="pg_dump"):
        cli.main(["backup", str(tmp_path / "copy.backup")])


def test_retention_anonymises_the_workshops_past_their_period_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import timedelta

    from app.accounts import service as accounts
    from app.models import Participant, Workshop, local_day, utcnow
    from tests.conftest import PASSWORD
    from tests.notify.conftest import join, new_workshop

    monkeypatch.setenv("DOORBRAAK_DATA_DIR", str(tmp_path))
    db = Database(f"sqlite:///{tmp_path / 'doorbraak.db'}")
    db.migrate()

    def build(tx: Any) -> list[int]:
        boss = accounts.create_facilitator(tx, email="bea@a.nl", name="Bea", password=PASSWORD)
        ids = []
        for title, months in (("Oud", 19), ("Recent", 2)):
            workshop = new_workshop(tx, boss.id, title)
            join(tx, workshop.id, f"Deelnemer {title}", "Buurtwerk")
            workshop.held_on = local_day(utcnow()) - timedelta(days=months * 31)
            ids.append(workshop.id)
        return ids

    old, recent = db.write_sync(build)
    cli.main(["retention"])
    out = capsys.readouterr().out
    assert f"workshop {old} of " in out and ": 1 names removed" in out and f"workshop {recent} " not in out
    assert "1 workshops anonymised; 0 ended sign-ins and 0 old invitations deleted" in out
    names = db.read_sync(lambda s: dict(s.execute(select(Participant.workshop_id, Participant.name)).all()))
    assert names == {old: "", recent: "Deelnemer Recent"}
    assert db.read_sync(lambda s: s.get(Workshop, old).anonymised_at) is not None
    db.close()
