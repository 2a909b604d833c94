"""docs/protocol.md, the Python lists of messages, frames and event kinds, and the scripts in static/js agree."""

import ast
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts import service as accounts
from app.actions import reporting, review
from app.actions import service as actions
from app.answers import service as answers
from app.catalog.service import formats
from app.clusters import service as clusters
from app.config import ROOT
from app.live.frames import ClientMessage, CloseCode, ServerFrame
from app.models import Event, Participant, Workshop
from app.organisations import service as organisations
from app.plain import service as plain
from app.responses import service as responses
from app.running import service as running
from app.stage import service as stage
from app.store.database import Database
from app.store.events import Audience, EventKind, Tx
from app.workshops import service as workshops
from tests.rooms import staff_of

PROTOCOL = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))
# how the scripts pick an event by its kind: `case "answer.created":` in a switch, `frame.kind === "step.changed"`
HANDLED_KIND = re.compile(r'(?:\bcase\s+|\bkind\s*[!=]==?\s*)"([a-z_]+\.[a-z_]+)"')
HANDLED_FRAME = re.compile(r'\bframe\.type\s*[!=]==?\s*"([a-z_]+)"')
KINDS = {kind.value for kind in EventKind}
FRAMES = {frame.value for frame in ServerFrame}


def table(heading: str) -> dict[str, list[str]]:
    """The rows of the table under a `## heading` of docs/protocol.md: first cell's name -> the other cells."""
    section = PROTOCOL.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.fullmatch(r"`([^`]+)`", cells[0])
        if line.startswith("| `") and name:
            rows[name.group(1)] = cells[1:]
    return rows


def documented_fields(kind: str, events: dict[str, list[str]]) -> tuple[set[str], set[str]]:
    """An event kind's data fields as the page lists them: (always sent, sent only sometimes)."""
    cell = events[kind][1]
    always: set[str] = set()
    sometimes: set[str] = set()
    like = re.match(r"as (?:an? )?`([a-z_.]+)`", cell)
    if like:
        always, sometimes = documented_fields(like.group(1), events)
        cell = cell[like.end() :]
    # what is in parentheses describes a field's insides, not fields of its own
    top_level = re.sub(r"\([^()]*\)", "", cell)
    for name, optional in re.findall(r"`([a-z_]+)`(\?)?", top_level):
        (sometimes if optional else always).add(name)
    return always, sometimes


def handled_in_scripts(pattern: re.Pattern[str]) -> dict[str, list[str]]:
    """Per name the pattern picks out of static/js, the scripts that handle it."""
    found: dict[str, list[str]] = {}
    for script in SCRIPTS:
        for name in pattern.findall(script.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(script.name)
    return found


def test_the_page_lists_exactly_the_client_messages_server_frames_and_event_kinds() -> None:
    assert set(table("Client messages")) == set(ClientMessage)
    assert set(table("Server frames")) == set(ServerFrame)
    events = table("Event kinds")
    assert set(events) == set(EventKind)
    for kind, (audiences, _) in events.items():
        named = set(re.findall(r"\b(all|staff|board|own)\b", audiences))
        assert named and named <= set(Audience), f"{kind}: audience {audiences!r}"


def test_the_page_lists_exactly_the_close_codes_and_the_client_knows_the_final_one() -> None:
    codes = table("Closing")
    named = {int(code): cells[0] for code, cells in codes.items()}
    assert named == {code.value: f"`{code.name}`" for code in CloseCode}
    final = {int(code) for code, cells in codes.items() if cells[-1] == "yes"}
    assert final == {CloseCode.WORKSHOP_REMOVED, CloseCode.PARTICIPANT_REMOVED}
    live = (ROOT / "static" / "js" / "live.js").read_text(encoding="utf-8")
    for code in final:
        assert f"{CloseCode(code).name} = {code};" in live


def test_every_event_kind_the_server_sends_is_handled_by_a_client_script() -> None:
    handled = handled_in_scripts(HANDLED_KIND)
    assert not set(EventKind) - set(handled), "sent, but no script in static/js handles it"


def test_no_client_script_handles_an_event_kind_the_server_never_sends() -> None:
    unknown = {kind: scripts for kind, scripts in handled_in_scripts(HANDLED_KIND).items() if kind not in KINDS}
    assert not unknown, "handled in static/js, but never sent"


def test_the_scripts_handle_only_frame_types_the_server_sends() -> None:
    handled = handled_in_scripts(HANDLED_FRAME)
    assert {"snapshot", "event", "synced", "ack", "error"} <= set(handled)
    unknown = {kind: scripts for kind, scripts in handled.items() if kind not in FRAMES}
    assert not unknown, "handled in static/js, but never sent"


def test_the_scripts_patterns_find_what_they_are_meant_to() -> None:
    script = (
        'switch (frame.kind) {\n  case "answer.created":\n}\nif (frame.type === "snapshot" && frame.kind !== "x.y")'
    )
    assert HANDLED_KIND.findall(script) == ["answer.created", "x.y"]
    assert HANDLED_FRAME.findall(script) == ["snapshot"]


def test_every_event_is_appended_with_an_enumerated_kind_and_audience() -> None:
    free = []
    for module in sorted((ROOT / "app").rglob("*.py")):
        for call in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "append_event"):
                continue
            for argument in call.keywords:
                values = [argument.value]
                if isinstance(argument.value, ast.IfExp):
                    values = [argument.value.body, argument.value.orelse]
                if argument.arg in ("kind", "audience") and any(isinstance(v, ast.Constant) for v in values):
                    free.append(f"{module.relative_to(ROOT)}:{call.lineno} {argument.arg}")
    assert not free, "use EventKind and Audience, not text"


def step_index(workshop: Workshop, step_type: str) -> int:
    return next(i for i, step in enumerate(workshop.steps) if step["type"] == step_type)


def play_every_kind(db: Tx) -> None:
    """A doorbraak workshop, a netwerkmozaiek and a follow-up, played so that every kind of event is logged."""
    owner = accounts.create_facilitator(db, email="f@x.nl", name="F", password="x" * 12).id or 0

    def new_workshop(key: str) -> tuple[Workshop, list[int]]:
        spec = formats()[key]
        workshop = running.create_workshop(
            db,
            facilitator_id=owner,
            title=key,
            opgave="O",
            held_on=date(2026, 11, 22),
            spec=spec,
            allow_anonymous=False,
        )
        people = []
        for name in ("Ali", "Bo"):
            token = workshops.join_workshop(
                db, workshop_id=workshop.id or 0, name=name, organisation="O", anonymous=False
            )
            found = workshops.participant_by_token(db, workshop_id=workshop.id or 0, token=token)
            people.append(found.id or 0 if found else 0)
        return workshop, people

    def move(workshop: Workshop, to: int | str) -> None:
        running.move_step(db, workshop_id=workshop.id or 0, member=staff_of(db, workshop.id or 0), to=to)

    def answer(workshop: Workshop, participant: int, text: str) -> int:
        step = workshops.current_step(workshop)["id"]
        client_id = f"{text}-{participant}"
        return answers.submit_answer(
            db, workshop_id=workshop.id or 0, participant_id=participant, step_id=step, text=text, client_id=client_id
        ).answer_id

    room, (ali, bo) = new_workshop("doorbraak")
    wid = room.id or 0
    move(room, "next")
    first, second = answer(room, ali, "Geen tijd"), answer(room, bo, "Geen geld")
    workshops.set_moderated(db, workshop=room, on=True)
    held = answer(room, ali, "Wacht even")
    answers.set_hidden(db, workshop_id=wid, answer_id=held, hidden=True)
    workshops.set_moderated(db, workshop=room, on=False)
    stage.start_timer(db, workshop=room, ms=60_000)
    stage.set_spotlight(db, workshop=room, answer_id=first)
    stage.set_answer_hidden(db, workshop=room, answer_id=first, hidden=True)
    stage.set_answer_hidden(db, workshop=room, answer_id=first, hidden=False)
    plain.set_bingo(db, workshop=room, on=True)
    move(room, step_index(room, "dot_vote"))
    (pile, *_) = clusters.group(db, workshop=room, answer_ids=[first, second], name="Middelen")
    clusters.set_votes(db, workshop_id=wid, participant_id=ali, allocation={pile["id"]: 2})
    clusters.change_settings(db, workshop=room, focus_only=True)
    action = actions.save_action(db, workshop_id=wid, title="Bellen", owner_organisation="O", obstacle_id=first)
    actions.volunteer(db, workshop_id=wid, participant_id=bo, action_id=action["id"], joining=True)
    gone = actions.save_action(db, workshop_id=wid, title="Weg", owner_organisation="O")
    actions.delete_action(db, workshop_id=wid, action_id=gone["id"])
    actions.set_followup(db, workshop_id=wid, at=datetime(2026, 12, 6, 10), place="Buurthuis")

    mosaic, (ali, _) = new_workshop("netwerkmozaiek")
    move(mosaic, step_index(mosaic, "grade"))
    grade = workshops.current_step(mosaic)["id"]
    responses.submit_response(db, workshop_id=mosaic.id or 0, participant_id=ali, step_id=grade, value=7)
    move(mosaic, step_index(mosaic, "mosaic"))

    followup, (ali, _) = new_workshop("vervolgsessie")
    # the follow-up looks back on the doorbraak workshop already (the latest with actions): choose again
    review.set_review_source(db, workshop=followup, review_of=None)
    review.set_review_source(db, workshop=followup, review_of=wid)
    move(followup, step_index(followup, "action_review"))
    review.report_progress(
        db, workshop_id=followup.id or 0, participant_id=ali, action_id=action["id"], status="bezig", note="Gebeld"
    )
    named = organisations.find_organisation(db, workspace_id=room.workspace_id, name="O")
    assert named is not None
    organisations.save_organisation(
        db, workspace_id=room.workspace_id, organisation_id=named.id, fields=organisations.OrganisationFields("O2")
    )
    reporting.take_back_organisation(db, participant=db.get_one(Participant, ali), taken_back=True)


@pytest.fixture
def logged(tmp_path: Path) -> list[Event]:
    """Every event of play_every_kind, as the log holds it."""
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    db.migrate()
    db.write_sync(play_every_kind)
    events = db.read_sync(lambda s: list(s.execute(select(Event).order_by(Event.id)).scalars()))  # type: ignore[arg-type]
    db.close()
    return events


def test_every_event_carries_the_fields_the_page_names(logged: list[Event]) -> None:
    events = table("Event kinds")
    assert {event.kind for event in logged} == set(EventKind), "the play misses a kind: add it"
    seen: dict[str, set[str]] = {}
    for event in logged:
        always, sometimes = documented_fields(event.kind, events)
        data: dict[str, Any] = event.payload
        assert always <= set(data) <= always | sometimes, f"{event.kind}: {sorted(data)}"
        assert event.audience in events[event.kind][0], f"{event.kind} went to {event.audience}"
        seen.setdefault(event.kind, set()).update(data)
    for kind, fields in seen.items():
        always, sometimes = documented_fields(kind, events)
        assert fields == always | sometimes or kind == "workshop.changed" and fields <= always | sometimes, kind
