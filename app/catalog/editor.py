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

from app.catalog import saved
from app.catalog.files import MAX_STEPS
from app.catalog.service import SETTINGS_BY_TYPE, STEP_DEFAULTS, FormatSpec, step_dict
from app.errors import DomainError
from app.i18n import N_, gettext, pick
from app.models import Answer, Response, Workshop
from app.security import clean_text
from app.store.events import Audience, EventKind, Tx, append_event
from app.workshops import service as workshops

# the Dutch name of each step type; also the title a freshly added step starts with
TYPE_LABELS: dict[str, str] = {
    "lobby": N_("Welkom"),
    "open_text": N_("Open vraag"),
    "cluster": N_("Ordenen"),
    "dot_vote": N_("Stemmen met stippen"),
    "grade": N_("Rapportcijfer"),
    "choice": N_("Meerkeuzevraag"),
    "mosaic": N_("Mozaïek"),
    "actions": N_("Afspraken maken"),
    "action_review": N_("Terugblik op afspraken"),
    "close": N_("Afronding"),
}
TYPE_HINTS: dict[str, str] = {
    "lobby": N_("Deelnemers komen binnen met de code of QR-code."),
    "open_text": N_("Deelnemers typen een antwoord op hun telefoon."),
    "cluster": N_("Jij legt antwoorden die bij elkaar horen op één stapel."),
    "dot_vote": N_("Deelnemers verdelen stippen over de stapels."),
    "grade": N_("Deelnemers geven een cijfer."),
    "choice": N_("Deelnemers kiezen uit opties die jij geeft."),
    "mosaic": N_("Het scherm toont de cijfers als mozaïek."),
    "actions": N_("Jullie maken afspraken; deelnemers melden zich aan."),
    "action_review": N_("Eigenaren vertellen hoe hun afspraak ervoor staat."),
    "close": N_("Einde van de sessie; meedoen kan daarna niet meer."),
}
# lobby and close hold the ends of every format, so they are neither added, moved nor removed here
ADDABLE = tuple(kind for kind in TYPE_LABELS if kind not in ("lobby", "close"))
FIELD_LABELS: dict[str, str] = {
    "id": N_("code"),
    "type": N_("soort stap"),
    "title": N_("titel"),
    "prompt": N_("vraag"),
    "help": N_("uitleg"),
    "timer": N_("standaardtijd (seconden)"),
    "max_length": N_("maximale lengte"),
    "multiple": N_("meer antwoorden"),
    "links_to": N_("hoort bij"),
    "themes": N_("thema's"),
    "source": N_("antwoorden uit"),
    "low": N_("laagste cijfer"),
    "high": N_("hoogste cijfer"),
    "target": N_("streefcijfer"),
    "tile": N_("mozaïektegel"),
    "low_label": N_("tekst bij het laagste cijfer"),
    "high_label": N_("tekst bij het hoogste cijfer"),
    "options": N_("opties"),
    "key": N_("sleutel"),
    "name": N_("naam"),
    "description": N_("beschrijving"),
}
LOCALISED = ("title", "prompt", "help", "tile", "low_label", "high_label")
CHECKBOXES = frozenset({"multiple", "themes"})
# what fits on a phone and a projector; format files may be longer, the editor keeps texts short
TEXT_LIMITS = {"title": 120, "prompt": 300, "help": 600, "tile": 40, "low_label": 60, "high_label": 60, "options": 120}
MAX_OPTIONS = 12
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
        if step.get("type") in TYPE_LABELS:
            return gettext(TYPE_LABELS[step["type"]])
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


# the validators' own (English) words, mapped to Dutch for the facilitator; what is not here is shown as it is
STEP_RULES: list[tuple[str, str | None, str, str]] = [
    (r"(?P<field>\w+) is not a setting of an? \w+ step", "{field}", N_("hoort niet bij dit soort stap"), ""),
    (r"an? \w+ step needs a prompt", "prompt", N_("deze stap stelt een vraag: vul de vraag in"), ""),
    (
        r"an? \w+ step needs a source",
        "source",
        N_("kies de open vraag waarvan de antwoorden hier gebruikt worden"),
        "",
    ),
    (r"a choice step needs options", "options", N_("geef minstens twee opties"), ""),
    (
        r"(?P<field>\w+) \S+ is outside the grades (?P<low>\d+)-(?P<high>\d+)",
        "{field}",
        N_("kies een cijfer van {low} tot en met {high}"),
        "",
    ),
    (r"low \S+ must be below high \S+", "low", N_("het laagste cijfer moet lager zijn dan het hoogste"), ""),
    (
        r"target \S+ is outside this step's scale (?P<low>\S+)-(?P<high>\S+)",
        "target",
        N_("het streefcijfer moet tussen {low} en {high} liggen"),
        "",
    ),
]
# rules about the list as a whole, each with the step the problem is shown at
LIST_RULES: list[tuple[str, str | None, str, str]] = [
    (r"duplicate step id '(?P<id>[^']*)'", "id", N_("deze code heeft een andere stap al"), "last with id"),
    (
        r"step '(?P<id>[^']*)': (?P<field>links_to|source) '[^']*' is not an earlier open_text step",
        "{field}",
        N_("kies een open vraag die eerder in de sessie komt"),
        "first with id",
    ),
    (
        r"a mosaic step needs grade steps with a tile",
        None,
        N_("een mozaïek heeft rapportcijfers met een mozaïektegel nodig"),
        "mosaic",
    ),
    (r"the first step must be a lobby", None, N_("de eerste stap moet het welkom zijn"), "first"),
    (r"the last step must be a close step", None, N_("de laatste stap moet de afronding zijn"), "last"),
]
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


def _detail(err: Any) -> str:
    error = (err.get("ctx") or {}).get("error")
    return str(error) if error is not None else str(err["msg"])


def _by_rule(rules: list[tuple[str, str | None, str, str]], detail: str) -> tuple[Problem, str]:
    """The Dutch problem for a validator's message, and which step it is shown at."""
    for pattern, where, message, locate in rules:
        match = re.match(pattern, detail)
        if match:
            params = match.groupdict()
            return Problem(message, params, field=where.format(**params) if where else None), locate
    return Problem(N_("dit klopt niet: {detail}"), {"detail": detail}), ""


def _locate(steps: list[Any], locate: str, params: dict[str, Any]) -> int | None:
    """The index of the step a list-wide problem concerns."""
    ids = [step.get("id") if isinstance(step, Mapping) else None for step in steps]
    kinds = [step.get("type") if isinstance(step, Mapping) else None for step in steps]
    found = {
        "last with id": [i for i, step_id in enumerate(ids) if step_id == params.get("id")][-1:],
        "first with id": [i for i, step_id in enumerate(ids) if step_id == params.get("id")][:1],
        "mosaic": [i for i, kind in enumerate(kinds) if kind == "mosaic"][:1],
        "first": [0],
        "last": [len(steps) - 1],
    }.get(locate, [])
    return found[0] if found else None


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
            problem, locate = _by_rule(LIST_RULES, _detail(err))
            problems.append(_at(steps, _locate(steps, locate, problem.params), problem))
        elif len(loc) == 2:
            problem, _ = _by_rule(STEP_RULES, _detail(err))
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
            N_("De sessie is al begonnen. De stappen liggen nu vast: aanpassen kan alleen vóór de start."),
            status=409,
        )


def _workshop_spec_key(workshop: Workshop) -> str:
    key = workshop.format_key.removeprefix(saved.OWN_PREFIX)
    return key if re.fullmatch(r"[a-z][a-z0-9_-]{0,39}", key) else "workshop"


def _keep_what_is_stored(db: Session, *, workshop: Workshop, spec: FormatSpec) -> None:
    """Refuse a step list that would orphan or reinterpret answers, grades or choices already given."""
    used: set[str] = set()
    for model in (Answer, Response):
        query = select(model.step_id).where(model.workshop_id == workshop.id).distinct()  # type: ignore[attr-defined]
        used.update(db.execute(query).scalars())
    before = {step["id"]: step for step in workshop.steps}
    after = {step.id: (index, step) for index, step in enumerate(spec.steps)}
    steps = [step_dict(step) for step in spec.steps]
    problems = []
    for step_id in sorted(used):
        old = before.get(step_id)
        index, new = after.get(step_id, (None, None))
        title = pick(old["title"]) if old else step_id
        if old is None or new is None or new.type != old["type"]:
            message = N_("de stap {title} heeft al antwoorden: weghalen of van soort veranderen kan niet meer")
            problems.append(_at(steps, index, Problem(message, {"title": title})))
        elif new.type == "choice" and len(new.options or []) < len(old.get("options") or []):
            message = N_("bij deze stap is al gekozen: opties weghalen kan niet meer")
            problems.append(_at(steps, index, Problem(message, field="options")))
        elif new.type == "grade" and (steps[index]["low"], steps[index]["high"]) != (old.get("low"), old.get("high")):
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
    """Keep edited steps as the facilitator's own format, under a key and name they chose."""
    # the Dutch text whatever the interface language: it fills the format's Dutch description
    default = N_("Gemaakt van de workshop {title}.").format(title=workshop.title)
    spec = build_spec(
        key=key.strip(),
        name={"nl": name},
        description={"nl": clean_text(description) or default},
        steps=steps,
    )
    try:
        saved.save_format(db, facilitator_id=facilitator_id, spec=spec, overwrite=overwrite)
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
    step: dict[str, Any] = {"id": step_id, "type": kind, "title": {"nl": TYPE_LABELS[kind]}}
    step.update({name: value for (of, name), value in STEP_DEFAULTS.items() if of == kind})
    if kind == "choice":
        step["options"] = [{}, {}]
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
        for name in sorted((SETTINGS_BY_TYPE.get(kind, frozenset()) | {"timer"}) - set(LOCALISED)):
            if name in CHECKBOXES:
                step[name] = value(name) == "true"
            elif name == "options":
                rows = zip_longest(form.getlist(f"{uid}.options.nl"), form.getlist(f"{uid}.options.en"), fillvalue="")
                step["options"] = [{"nl": nl, "en": en} for nl, en in rows if isinstance(nl, str)]
            else:
                step[name] = value(name)
        steps.append(step)
    return steps


def movable(steps: list[Any], index: int) -> bool:
    """Whether a step may move: the lobby first and the close step last stay where they are."""
    kind = steps[index].get("type") if isinstance(steps[index], Mapping) else None
    return not (index == 0 and kind == "lobby") and not (index == len(steps) - 1 and kind == "close")


def apply_change(steps: list[dict[str, Any]], change: str, *, add_type: str = "") -> list[dict[str, Any]]:
    """One editing button pressed without the script: move, add or remove a step or a choice option."""
    steps = [dict(step) for step in steps]
    action, _, target = change.partition(":")
    if action == "add":
        if add_type in ADDABLE and len(steps) < MAX_STEPS:
            step = new_step(add_type, step_id=new_step_id(add_type, {str(s.get("id")) for s in steps}))
            closes = bool(steps) and steps[-1].get("type") == "close"
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
    elif action == "remove_option" and option.isdigit():
        options = list(steps[index].get("options") or [])
        if int(option) < len(options):
            del options[int(option)]
            steps[index]["options"] = options
    return steps
