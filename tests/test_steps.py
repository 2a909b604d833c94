"""The step-type registry: one entry per type drives the file format, the editor, the readers and the clients."""

import copy
import json
import string
import uuid
from typing import Any, get_args

import pytest

from app import steps
from app.catalog import editor
from app.catalog.service import StepSpec, formats
from app.models import Workshop as WorkshopRow
from tests.catalog.test_editor import save
from tests.conftest import Facilitator, Workshop, receive_until

# a stored step as workshops created before the defaults were written out hold it
LEGACY_OBSTACLES = {
    "id": "obstacles",
    "type": "open_text",
    "title": {"nl": "Obstakels"},
    "prompt": {"nl": "Wat is hier het grootste obstakel?"},
}


def test_format_files_may_name_exactly_the_registered_types_in_their_order() -> None:
    assert get_args(steps.StepKind) == tuple(steps.STEP_TYPES)


def test_the_file_format_holds_every_setting_of_every_type_and_nothing_else() -> None:
    settings = {name for kind in steps.STEP_TYPES.values() for name in kind.settings}
    assert set(StepSpec.model_fields) == steps.COMMON | settings


def test_a_setting_shared_by_types_is_called_and_drawn_alike() -> None:
    seen: dict[str, steps.Setting] = {}
    for kind in steps.STEP_TYPES.values():
        for name, about in kind.settings.items():
            first = seen.setdefault(name, about)
            assert (about.called, about.widget.kind) == (first.called, first.widget.kind), name


def test_every_type_has_a_name_and_a_hint_and_lobby_and_close_hold_the_ends() -> None:
    for kind in steps.STEP_TYPES.values():
        assert kind.label and kind.hint, kind.key
    assert [kind.key for kind in steps.STEP_TYPES.values() if kind.place] == ["lobby", "close"]


def test_a_stored_step_reads_as_its_typed_step_with_every_default() -> None:
    step = steps.read(LEGACY_OBSTACLES)
    assert isinstance(step, steps.OpenText)
    assert (step.max_length, step.multiple, step.themes, step.links_to) == (200, True, False, None)
    grade = steps.read({"id": "cijfer", "type": "grade", "title": {"nl": "C"}, "prompt": {"nl": "P"}})
    assert isinstance(grade, steps.Grade) and (grade.low, grade.high, grade.target) == (1, 10, None)
    assert steps.read({**LEGACY_OBSTACLES, "max_length": 80}).max_length == 80  # type: ignore[attr-defined]


def test_defaults_are_written_out_once_and_a_complete_step_is_left_as_it_is() -> None:
    completed = steps.with_defaults(LEGACY_OBSTACLES)
    assert completed == {**LEGACY_OBSTACLES, "max_length": 200, "multiple": True, "themes": False}
    assert "max_length" not in LEGACY_OBSTACLES
    assert steps.with_defaults(completed) is completed
    for spec in formats().values():
        for step, data in zip(spec.steps, spec.step_dicts(), strict=True):
            assert {name: data[name] for name in steps.DEFAULTS[step.type]} == {
                name: getattr(step.typed, name) for name in steps.DEFAULTS[step.type]
            }


def test_every_rule_has_words_for_files_and_for_the_editor_with_the_same_parameters() -> None:
    for code, rule in steps.RULES.items():
        given = {name for _, name, _, _ in string.Formatter().parse(rule.english) if name}
        wanted = {name for _, name, _, _ in string.Formatter().parse(rule.dutch) if name}
        assert rule.english and rule.dutch, code
        assert wanted <= given, f"{code}: the Dutch words use {wanted - given}, which the error does not carry"


def build(step_list: list[dict[str, Any]]) -> editor.StepsInvalid:
    with pytest.raises(editor.StepsInvalid) as refused:
        editor.build_spec(key="proef", name={"nl": "Proef"}, description={"nl": "Een proef"}, steps=step_list)
    return refused.value


def test_the_editor_words_a_broken_rule_by_its_code_not_by_the_english_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    grade = {"id": "cijfer", "type": "grade", "title": {"nl": "Cijfer"}, "prompt": {"nl": "Hoe?"}, "high": 11}
    step_list = [{"id": "lobby", "type": "lobby", "title": {"nl": "Welkom"}}, grade]
    step_list.append({"id": "close", "type": "close", "title": {"nl": "Klaar"}})
    # a validator reworded in English leaves the facilitator's Dutch as it was
    monkeypatch.setitem(
        steps.RULES,
        "outside_grades",
        steps.Rule("{name} is off the scale", "kies een cijfer van {low} tot en met {high}"),
    )
    problem = build(step_list).problems[0]
    assert (problem.step, problem.field) == (1, "high")
    assert problem.text() == "Stap 2 (Cijfer), hoogste cijfer: kies een cijfer van 1 tot en met 10"
    monkeypatch.setitem(
        steps.RULES, "duplicate_id", steps.Rule("step id {id} twice", "deze code heeft een andere stap al")
    )
    twice = dict(grade, high=9)
    problem = build([step_list[0], twice, twice, step_list[2]]).problems[0]
    assert (problem.step, problem.field, problem.problem()) == (2, "id", "Deze code heeft een andere stap al")


def test_the_editor_offers_every_setting_of_every_type_it_can_add(facilitator: Facilitator, workshop: Workshop) -> None:
    page = facilitator.http.get(f"/f/workshops/{workshop.id}/steps").text
    for key in editor.ADDABLE:
        start = page.index(f'<template id="step-template-{key}">')
        card = page[start : page.index("</template>", start)]
        assert steps.STEP_TYPES[key].hint in card
        for name, about in steps.STEP_TYPES[key].settings.items():
            field = f"__ID__.{name}.nl" if about.widget.kind in ("text", "options") else f"__ID__.{name}"
            assert f'name="{field}"' in card, f"{key}: no field for {name}"


def test_a_workshop_stored_without_defaults_gets_them_on_the_phone(
    facilitator: Facilitator, workshop: Workshop, join: Any
) -> None:
    def drop_defaults(db: Any) -> None:
        row = db.get(WorkshopRow, workshop.id)
        row.steps = [LEGACY_OBSTACLES if step["id"] == "obstacles" else step for step in row.steps]

    runtime = facilitator.http.app.state.runtime  # type: ignore[attr-defined]
    runtime.db.write_sync(drop_defaults)
    facilitator.go(workshop, "obstacles")
    phone = join(workshop)
    assert 'maxlength="200"' in phone.http.get(f"/j/{workshop.code}").text
    with phone.connect() as ws:
        snapshot = ws.receive_json()
        obstacles = snapshot["workshop"]["steps"][1]
        assert (obstacles["max_length"], obstacles["multiple"], obstacles["themes"]) == (200, True, False)
        ws.send_text(phone.answer_frame("x" * 201, client_id=str(uuid.uuid4())))
        refused = receive_until(ws, lambda f: f["type"] == "error")
        assert refused["code"] == "too_long" and refused["limit"] == 200
        ws.send_text(phone.answer_frame("x" * 200, client_id=str(uuid.uuid4())))
        assert receive_until(ws, lambda f: f["type"] == "ack")["duplicate"] is False
    stored = runtime.db.read_sync(lambda db: db.get(WorkshopRow, workshop.id).steps)
    assert json.dumps(stored[1]) == json.dumps(LEGACY_OBSTACLES)  # read with defaults, never rewritten


def test_a_step_of_no_known_type_is_refused_at_its_field_whatever_its_type_is(
    facilitator: Facilitator, workshop: Workshop
) -> None:
    step_list = copy.deepcopy(formats()["doorbraak"].step_dicts())
    # without a title the problem is named after the step's type, which must then be one of the registry's
    del step_list[2]["title"]
    for odd in ("peiling", ["open_text"], {"nl": "x"}):
        step_list[2]["type"] = odd
        response = save(facilitator, workshop, step_list)
        assert response.status_code == 422, response.text
        first = response.json()["errors"][0]
        assert (first["step"], first["field"], first["problem"]) == (2, "type", "Dit soort stap kennen we niet")
        assert first["message"].startswith("Stap 3 (cluster), ")
