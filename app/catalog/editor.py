"""Changing a workshop's steps before it starts: read the editor's input, validate it in Dutch, store it."""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import steps as step_types
from app.catalog import saved
from app.catalog.files import MAX_STEPS
from app.catalog.service import FormatSpec, StepSpec, is_format_key, step_dict
from app.errors import DomainError
from app.i18n import N_, gettext, pick
from app.models import Answer, Response, Workshop
from app.security import clean_text, whole_number
from app.store.events import Audience, EventKind, Tx, append_event
from app.workshops import service as workshops

# lobby and close hold the ends of every format, so they are neither added, moved nor removed here
ADDABLE = tuple(key for key, kind in step_types.STEP_TYPES.items() if kind.place is None)
# every type's settings by name: a name means the same setting in every type that has it
SETTINGS = {name: about for kind in step_types.STEP_TYPES.values() for name, about in kind.settings.items()}
# what a problem's summary calls a field: the fields every step and every format has, then the types' settings
FIELD_LABELS: dict[str, str] = {
    "id": N_("code"),
    "type": N_("soort stap"),
    "title": N_("titel"),
    "prompt": N_("vraag"),
    "help": N_("uitleg"),
    "timer": N_("standaardtijd (seconden)"),
    **{name: about.called for name, about in SETTINGS.items()},
    "key": N_("sleutel"),
    "name": N_("naam"),
    "description": N_("beschrijving"),
}
# what fits on a phone and a projector; format files may be longer, the editor keeps texts short
TEXT_LIMITS = {
    "title": 120,
    "prompt": 300,
    "help": 600,
    **{
        name: about.widget.limit
        for name, about in SETTINGS.items()
        if isinstance(about.widget, step_types.Text | step_types.Options)
    },
}
# the texts in Dutch and English, in the order a format file has them
LOCALISED = tuple(
    name
    for name in StepSpec.model_fields
    if name in ("title", "prompt", "help") or isinstance(getattr(SETTINGS.get(name), "widget", None), step_types.Text)
)
MAX_OPTIONS = step_types.OPTION_COUNT[1]
KEY_HINT = N_("gebruik kleine letters, cijfers, - en _, begin met een letter (hoogstens 40 tekens)")


@dataclass
class Problem:
    """One thing wrong with an edited step list, placed at the step and field it concerns."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)
    step: int | None = None
    step_id: str | None = None
    title: str = ""
    field: str | None = None
    option: int | None = None
    lang: str | None = None

    def problem(self) -> str:
        """What is wrong, for next to the field."""
        text = gettext(self.message).format(**self.params)
        return text[:1].upper() + text[1:]

    def text(self) -> str:
        """What is wrong and where, for a summary."""
        problem = gettext(self.message).format(**self.params)
        where = gettext(FIELD_LABELS.get(self.field, self.field)) if self.field else ""
        if self.option is not None:
            where = gettext(N_("optie {number}")).format(number=self.option + 1)
        if self.step is not None and where:
            template = N_("Stap {number} ({title}), {field}: {problem}")
        elif self.step is not None:
            template = N_("Stap {number} ({title}): {problem}")
        elif where:
            return f"{where[:1].upper()}{where[1:]}: {problem}"
        else:
            return self.problem()
        number = (self.step or 0) + 1
        return gettext(template).format(number=number, title=self.title, field=where, problem=problem)

    def as_dict(self) -> dict[str, Any]:
        """The problem for the editor's script."""
        return {
            "step": self.step,
            "step_id": self.step_id,
            "field": self.field,
            "option": self.option,
            "lang": self.lang,
            "problem": self.problem(),
            "message": self.text(),
        }


class StepsInvalid(DomainError):
    """An edited step list that cannot be used, with every problem found."""

    def __init__(self, problems: list[Problem], *, status: int = 422) -> None:
        super().__init__("invalid_steps", problems[0].message, status=status)
        self.problems = problems

    def text(self) -> str:
        """The first problem, with its step and field."""
        return self.problems[0].text()

    def payload(self) -> dict[str, Any]:
        """The error as JSON for the editor: a summary and each problem with its place."""
        return {"detail": self.text(), "code": self.code, "errors": [p.as_dict() for p in self.problems]}


def _localised(value: Any) -> Any:
    """A {nl, en} text tidied; None when both are empty."""
    if not isinstance(value, Mapping):
        return value
    texts = {lang: clean_text(text) if isinstance(text, str) else text for lang, text in value.items()}
    texts = {lang: text for lang, text in texts.items() if text not in ("", None)}
    return texts or None


def _normalise_step(raw: Any) -> Any:
    """A step from the editor tidied: texts cleaned, empty fields dropped; anything odd left for validation."""
    if not isinstance(raw, Mapping):
        return raw
    step: dict[str, Any] = {}
    for name, value in raw.items():
        if name in LOCALISED:
            value = _localised(value)
        elif name == "options" and isinstance(value, list):
            # an empty option row stays, as {}: dropping it would shift the rows the errors point at
            value = [_localised(option) or {} for option in value]
        elif isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            step[name] = value
    return step


def _title(step: Any) -> str:
    if isinstance(step, Mapping):
        title = step.get("title")
        if isinstance(title, Mapping) and isinstance(title.get("nl"), str):
            return str(title["nl"])
        kind = step_types.type_of(step)
        if kind is not None:
            return gettext(kind.label)
        return str(step.get("id", ""))
    return ""


def _at(steps: list[Any], index: int | None, problem: Problem) -> Problem:
    """The problem placed at step `index`."""
    if index is None or not 0 <= index < len(steps):
        return problem
    step = steps[index]
    problem.step = index
    problem.step_id = str(step.get("id")) if isinstance(step, Mapping) and step.get("id") else None
    problem.title = _title(step)
    return problem


def _length_problems(steps: list[Any]) -> list[Problem]:
    problems = []
    for index, step in enumerate(steps):
        if not isinstance(step, Mapping):
            continue
        texts: list[tuple[str, int | None, Any]] = [(name, None, step.get(name)) for name in LOCALISED]
        if isinstance(step.get("options"), list):
            texts += [("options", k, option) for k, option in enumerate(step["options"])]
        for name, option, value in texts:
            if not isinstance(value, Mapping):
                continue
            for lang, text in value.items():
                limit = TEXT_LIMITS[name]
                if isinstance(text, str) and len(text) > limit:
                    message = N_("hoogstens {limit} tekens (nu {count})")
                    found = Problem(message, {"limit": limit, "count": len(text)}, field=name, option=option, lang=lang)
                    problems.append(_at(steps, index, found))
    return problems


TYPE_MESSAGES: dict[str, str] = {
    "missing": N_("vul dit in"),
    "string_too_short": N_("vul de Nederlandse tekst in"),
    "literal_error": N_("dit soort stap kennen we niet"),
    "int_parsing": N_("vul een heel getal in"),
    "int_type": N_("vul een heel getal in"),
    "int_from_float": N_("vul een heel getal in"),
    "float_parsing": N_("vul een getal in"),
    "float_type": N_("vul een getal in"),
    "bool_parsing": N_("kies ja of nee"),
    "bool_type": N_("kies ja of nee"),
    "greater_than_equal": N_("kies minstens {ge}"),
    "less_than_equal": N_("kies hoogstens {le}"),
    "too_short": N_("geef er minstens {min_length}"),
    "too_long": N_("geef er hoogstens {max_length}"),
    "extra_forbidden": N_("dit veld kennen we niet"),
}


def _rule_problem(err: Any) -> tuple[Problem, int | None]:
    """The problem for a broken rule of a step or of the list, and the index of the step a list rule names."""
    error = (err.get("ctx") or {}).get("error")
    if not isinstance(error, step_types.StepError):
        detail = str(error) if error is not None else str(err["msg"])
        return Problem(N_("dit klopt niet: {detail}"), {"detail": detail}), None
    return Problem(step_types.RULES[error.code].dutch, dict(error.params), field=error.field), error.index


def _type_problem(err: Any, name: str | None, rest: tuple[Any, ...]) -> Problem:
    """A problem with one field's value."""
    kind = err["type"]
    params = dict(err.get("ctx") or {})
    lang = rest[-1] if rest and rest[-1] in ("nl", "en") else None
    if kind == "string_pattern_mismatch":
        message = KEY_HINT if name == "key" else N_("gebruik kleine letters, cijfers en _, begin met een letter")
    elif kind == "missing" and (lang == "nl" or name in (*LOCALISED, "name", "description")):
        message = N_("vul de Nederlandse tekst in")
    elif kind in TYPE_MESSAGES:
        message = TYPE_MESSAGES[kind]
    elif kind.endswith("_type"):
        message = N_("dit veld heeft de verkeerde vorm")
    else:
        message, params = N_("dit klopt niet: {detail}"), {"detail": err["msg"]}
    option = rest[0] if name == "options" and rest and isinstance(rest[0], int) else None
    return Problem(message, params, field=name, option=option, lang=lang)


def _problems(exc: ValidationError, steps: list[Any]) -> list[Problem]:
    """Every validation error as a Dutch problem at its step and field."""
    problems = []
    for err in exc.errors():
        loc = err["loc"]
        if not loc or loc[0] != "steps":
            problems.append(_type_problem(err, str(loc[0]) if loc else None, tuple(loc[1:])))
        elif len(loc) == 1 and err["type"] == "too_short":
            problems.append(Problem(N_("een werkvorm heeft minstens een welkom en een afronding")))
        elif len(loc) == 1:
            problem, index = _rule_problem(err)
            problems.append(_at(steps, index, problem))
        elif len(loc) == 2:
            problem, _ = _rule_problem(err)
            problems.append(_at(steps, int(loc[1]), problem))
        else:
            problem = _type_problem(err, str(loc[2]), tuple(loc[3:]))
            problems.append(_at(steps, int(loc[1]), problem))
    return problems


def build_spec(*, key: str, name: Any, description: Any, steps: Any) -> FormatSpec:
    """A format from edited steps, checked with the same rules as format files; problems come in Dutch."""
    if not isinstance(steps, list):
        raise StepsInvalid([Problem(N_("de stappen ontbreken"))])
    if len(steps) > MAX_STEPS:
        raise StepsInvalid([Problem(N_("een werkvorm heeft hoogstens {limit} stappen"), {"limit": MAX_STEPS})])
    steps = [_normalise_step(step) for step in steps]
    data = {"key": key, "name": _localised(name) or {}, "description": _localised(description) or {}, "steps": steps}
    problems = []
    try:
        spec = FormatSpec.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, steps)
    problems += _length_problems(steps)
    if problems:
        problems.sort(key=lambda p: -1 if p.step is None else p.step)
        raise StepsInvalid(problems)
    return spec


def ensure_not_started(workshop: Workshop) -> None:
    """Steps change only in the lobby of a workshop that is not closed."""
    if workshop.step_index != 0 or workshop.closed_at is not None:
        raise DomainError(
            "already_started",
            N_("De workshop is al begonnen. De stappen liggen nu vast: aanpassen kan alleen vóór de start."),
            status=409,
        )


def _workshop_spec_key(workshop: Workshop) -> str:
    key = workshop.format_key.removeprefix(saved.OWN_PREFIX)
    return key if is_format_key(key) else "workshop"


def _keep_what_is_stored(db: Session, *, workshop: Workshop, spec: FormatSpec) -> None:
    """Refuse a step list that would orphan or reinterpret answers, grades or choices already given."""
    used: set[str] = set()
    for model in (Answer, Response):
        query = select(col(model.step_id)).where(col(model.workshop_id) == workshop.id).distinct()
        used.update(db.execute(query).scalars())
    before = {step.id: step for step in map(step_types.read, workshop.steps)}
    after = {spec.id: (index, spec.typed) for index, spec in enumerate(spec.steps)}
    steps = [step_dict(step) for step in spec.steps]
    problems = []
    for step_id in sorted(used):
        old = before.get(step_id)
        index, new = after.get(step_id, (None, None))
        title = pick(old.title) if old else step_id
        if old is None or new is None or new.type != old.type:
            message = N_("de stap {title} heeft al antwoorden: weghalen of van soort veranderen kan niet meer")
            problems.append(_at(steps, index, Problem(message, {"title": title})))
        elif (
            isinstance(new, step_types.Choice)
            and isinstance(old, step_types.Choice)
            and len(new.options) < len(old.options)
        ):
            message = N_("bij deze stap is al gekozen: opties weghalen kan niet meer")
            problems.append(_at(steps, index, Problem(message, field="options")))
        elif (
            isinstance(new, step_types.Grade)
            and isinstance(old, step_types.Grade)
            and (new.low, new.high) != (old.low, old.high)
        ):
            message = N_("bij deze stap zijn al cijfers gegeven: de schaal ligt vast")
            problems.append(_at(steps, index, Problem(message, field="low")))
    if problems:
        raise StepsInvalid(problems, status=409)


def save_steps(db: Tx, *, workshop: Workshop, steps: Any) -> dict[str, Any]:
    """Replace a workshop's steps before it starts; boards, projector and phones get them at once."""
    ensure_not_started(workshop)
    spec = build_spec(
        key=_workshop_spec_key(workshop),
        name={"nl": workshop.title},
        description={"nl": workshop.opgave},
        steps=steps,
    )
    _keep_what_is_stored(db, workshop=workshop, spec=spec)
    workshop.steps = spec.step_dicts()
    db.flush()
    # phones, projector and board all apply "workshop.changed" to what they know of the workshop
    append_event(
        db,
        workshop_id=workshop.id or 0,
        kind=EventKind.WORKSHOP_CHANGED,
        audience=Audience.ALL,
        data={"steps": workshop.steps},
    )
    return workshops.workshop_view(workshop)


def save_as_format(
    db: Tx,
    *,
    workshop: Workshop,
    facilitator_id: int,
    key: str,
    name: str,
    description: str,
    steps: Any,
    overwrite: bool,
) -> FormatSpec:
    """Keep edited steps as the workspace's own format, under a key and name they chose."""
    # the Dutch text whatever the interface language: it fills the format's Dutch description
    default = N_("Gemaakt van de workshop {title}.").format(title=workshop.title)
    spec = build_spec(
        key=key.strip(),
        name={"nl": name},
        description={"nl": clean_text(description) or default},
        steps=steps,
    )
    try:
        saved.save_format(
            db, workspace_id=workshop.workspace_id, facilitator_id=facilitator_id, spec=spec, overwrite=overwrite
        )
    except DomainError as exc:
        if exc.code != "format_exists":
            raise
        message = N_("je hebt al een eigen werkvorm met deze sleutel: kies een andere, of kies Overschrijven")
        raise StepsInvalid([Problem(message, field="key")], status=409) from exc
    return spec


def workshop_format(workshop: Workshop) -> FormatSpec:
    """A workshop's current steps as a format of its own, named after the workshop."""
    data = {
        "key": suggested_key(workshop.title),
        "name": {"nl": workshop.title},
        "description": {"nl": workshop.opgave},
        "steps": workshop.steps,
    }
    try:
        return FormatSpec.model_validate(data)
    except ValidationError as exc:
        raise DomainError(
            "steps_not_a_format",
            N_("De stappen van deze workshop passen niet in een werkvorm: {problem}"),
            status=409,
            problem=exc.errors()[0]["msg"],
        ) from exc


def suggested_key(title: str) -> str:
    """A format key made from a title: "Jeugdoverlast Noord" becomes "jeugdoverlast-noord"."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"^[^a-z]+", "", re.sub(r"[^a-z0-9]+", "-", plain))
    return slug[:40].strip("-") or "werkvorm"


def new_step_id(kind: str, taken: set[str]) -> str:
    """An id for a new step of this type that no other step has."""
    if kind not in taken:
        return kind
    number = 2
    while f"{kind}_{number}" in taken:
        number += 1
    return f"{kind}_{number}"


def new_step(kind: str, *, step_id: str) -> dict[str, Any]:
    """A fresh step of this type with its defaults, titled after its type, to be filled in."""
    step_type = step_types.STEP_TYPES[kind]
    step: dict[str, Any] = {"id": step_id, "type": kind, "title": {"nl": step_type.label}}
    step.update(step_types.DEFAULTS[kind])
    for name, about in step_type.settings.items():
        if isinstance(about.widget, step_types.Options):
            step[name] = [{} for _ in range(about.widget.fewest)]
    return step


def steps_from_form(form: Any) -> list[dict[str, Any]]:
    """The steps a plain form post carries: a "step" field per card, in order, and fields named <id>.<field>."""
    steps = []
    for uid in form.getlist("step"):
        if not isinstance(uid, str):
            continue

        def value(name: str, uid: str = uid) -> str | None:
            found = form.get(f"{uid}.{name}")
            return found if isinstance(found, str) else None

        kind = value("type") or ""
        step: dict[str, Any] = {"id": uid, "type": kind}
        for name in LOCALISED:
            if f"{uid}.{name}.nl" in form:
                step[name] = {"nl": value(f"{name}.nl") or "", "en": value(f"{name}.en") or ""}
        # the countdown's default is a setting of every step type, so the editor must carry it for each
        settings = step_types.STEP_TYPES[kind].settings if kind in step_types.STEP_TYPES else {}
        for name in sorted((set(settings) | {"timer"}) - set(LOCALISED)):
            widget = settings[name].widget if name in settings else None
            if isinstance(widget, step_types.Check):
                step[name] = value(name) == "true"
            elif isinstance(widget, step_types.Options):
                rows = zip_longest(form.getlist(f"{uid}.{name}.nl"), form.getlist(f"{uid}.{name}.en"), fillvalue="")
                step[name] = [{"nl": nl, "en": en} for nl, en in rows if isinstance(nl, str)]
            else:
                step[name] = value(name)
        steps.append(step)
    return steps


def _holds_end(step: Any, end: str) -> bool:
    """Whether a step's type holds this end of every list ("first": the lobby, "last": the close step)."""
    kind = step_types.type_of(step)
    return kind is not None and kind.place == end


def movable(steps: list[Any], index: int) -> bool:
    """Whether a step may move: the lobby first and the close step last stay where they are."""
    first, last = index == 0, index == len(steps) - 1
    return not (first and _holds_end(steps[index], "first")) and not (last and _holds_end(steps[index], "last"))


def apply_change(steps: list[dict[str, Any]], change: str, *, add_type: str = "") -> list[dict[str, Any]]:
    """One editing button pressed without the script: move, add or remove a step or a choice option."""
    steps = [dict(step) for step in steps]
    action, _, target = change.partition(":")
    if action == "add":
        if add_type in ADDABLE and len(steps) < MAX_STEPS:
            step = new_step(add_type, step_id=new_step_id(add_type, {str(s.get("id")) for s in steps}))
            closes = bool(steps) and _holds_end(steps[-1], "last")
            steps.insert(len(steps) - 1 if closes else len(steps), step)
        return steps
    uid, _, option = target.partition(":")
    index = next((i for i, step in enumerate(steps) if step.get("id") == uid), None)
    if index is None:
        return steps
    if action in ("up", "down"):
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(steps) and movable(steps, index) and movable(steps, other):
            steps[index], steps[other] = steps[other], steps[index]
    elif action == "remove" and movable(steps, index):
        del steps[index]
    elif action == "add_option":
        options = list(steps[index].get("options") or [])
        if len(options) < MAX_OPTIONS:
            steps[index]["options"] = [*options, {}]
    elif action == "remove_option" and (option_index := whole_number(option, low=0)) is not None:
        options = list(steps[index].get("options") or [])
        if option_index < len(options):
            del options[option_index]
            steps[index]["options"] = options
    return steps
