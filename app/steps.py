"""The step types: one class per type holds its settings with defaults, its rules, its words and its editor fields.

A stored step is a plain dict (in a workshop's row and in format files); `read` turns it into its type's
typed step with every default filled in, so no reader needs to know a default.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from functools import lru_cache
from typing import Any, ClassVar, Literal

from app.i18n import N_

# the bounds the format files, the editor and the phones share
GRADE_MIN, GRADE_MAX = 1, 10
ANSWER_LENGTH = (10, 1000)
TIMER_SECONDS = (10, 7200)
OPTION_COUNT = (2, 12)


@dataclass(frozen=True)
class Number:
    """A number field."""

    kind: ClassVar[str] = "number"
    label: str
    low: float
    high: float
    step: float = 1


@dataclass(frozen=True)
class Check:
    """A yes-or-no box."""

    kind: ClassVar[str] = "check"
    label: str


@dataclass(frozen=True)
class Source:
    """A choice of an earlier open question; `empty` names choosing none, for a setting that may stay empty."""

    kind: ClassVar[str] = "source"
    label: str
    empty: str = ""


@dataclass(frozen=True)
class Text:
    """A text in Dutch and, where written, English, of at most `limit` characters."""

    kind: ClassVar[str] = "text"
    label: str
    limit: int


@dataclass(frozen=True)
class Options:
    """The options of a choice, each a text in Dutch and English; a fresh step starts with the fewest allowed."""

    kind: ClassVar[str] = "options"
    label: str
    limit: int
    fewest: int = OPTION_COUNT[0]
    most: int = OPTION_COUNT[1]


Widget = Number | Check | Source | Text | Options


@dataclass(frozen=True)
class Setting:
    """One setting of a step type: its default, the editor's field for it, and what an error calls it."""

    name: str
    default: Any
    widget: Widget
    # the setting's name where a problem is summed up ("Stap 2 (Obstakels), maximale lengte: ...")
    called: str
    # settings of one row sit side by side in the editor
    row: str | None = None
    # the rule a step breaks without this setting; None for a setting that may be left out
    missing: str | None = None


def setting(default: Any = None, *, required: str | None = None, **about: Any) -> Any:
    """A typed step's field that is a setting of its type; `required` names the rule broken without it."""
    meta = {"about": about, "missing": required}
    if required is not None:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Rule:
    """A rule a step or a list of steps can break: the loader's words for format files, the editor's in Dutch."""

    english: str
    dutch: str


# every rule by its code; an error carries the code and its parameters, each reader picks the words it needs
RULES: dict[str, Rule] = {
    "not_a_setting": Rule("{name} is not a setting of a {type} step", N_("hoort niet bij dit soort stap")),
    "needs_prompt": Rule("a {type} step needs a prompt", N_("deze stap stelt een vraag: vul de vraag in")),
    "needs_source": Rule(
        "a {type} step needs a source: the open_text step whose answers it uses",
        N_("kies de open vraag waarvan de antwoorden hier gebruikt worden"),
    ),
    "needs_options": Rule("a choice step needs options (at least two)", N_("geef minstens twee opties")),
    "outside_grades": Rule(
        "{name} {value} is outside the grades {low}-{high}", N_("kies een cijfer van {low} tot en met {high}")
    ),
    "low_not_below_high": Rule(
        "low {low} must be below high {high}", N_("het laagste cijfer moet lager zijn dan het hoogste")
    ),
    "target_outside_scale": Rule(
        "target {target} is outside this step's scale {low}-{high}",
        N_("het streefcijfer moet tussen {low} en {high} liggen"),
    ),
    "duplicate_id": Rule("duplicate step id {id!r}", N_("deze code heeft een andere stap al")),
    "not_an_earlier_open_text": Rule(
        "step {id!r}: {setting} {name!r} is not an earlier open_text step",
        N_("kies een open vraag die eerder in de workshop komt"),
    ),
    "mosaic_without_tiles": Rule(
        "a mosaic step needs grade steps with a tile to show",
        N_("een mozaïek heeft rapportcijfers met een mozaïektegel nodig"),
    ),
    "first_not_lobby": Rule("the first step must be a lobby", N_("de eerste stap moet het welkom zijn")),
    "last_not_close": Rule("the last step must be a close step", N_("de laatste stap moet de afronding zijn")),
}


class StepError(ValueError):
    """A broken rule: its code and parameters, the field it concerns and, for a rule of the list, the step's index."""

    def __init__(self, code: str, *, field: str | None = None, index: int | None = None, **params: Any) -> None:
        super().__init__(RULES[code].english.format(**params))
        self.code = code
        self.field = field
        self.index = index
        self.params = params


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """What every step has: an id, its type, its texts and the countdown the board starts by default."""

    key: ClassVar[str]
    # the type's name in the editor, also the title a freshly added step starts with; and what it does
    label: ClassVar[str]
    hint: ClassVar[str]
    needs_prompt: ClassVar[bool] = False
    # lobby and close hold the ends of every format, so the editor neither adds, moves nor removes them
    place: ClassVar[str | None] = None
    settings: ClassVar[dict[str, Setting]]

    id: str
    type: str
    title: dict[str, str]
    prompt: dict[str, str] | None = None
    help: dict[str, str] | None = None
    # in seconds; None: the board asks for a time
    timer: int | None = None

    def check(self) -> None:
        """Raise the StepError of a rule among this type's settings that the step breaks."""

    def check_in(self, steps: Sequence["Step"], index: int) -> None:
        """Raise the StepError of a rule this step breaks in its list of steps."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Lobby(Step):
    """People come in with the code or the QR code."""

    key = "lobby"
    label = N_("Welkom")
    hint = N_("Deelnemers komen binnen met de code of QR-code.")
    place = "first"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenText(Step):
    """An open question: participants type answers on their phones."""

    key = "open_text"
    label = N_("Open vraag")
    hint = N_("Deelnemers typen een antwoord op hun telefoon.")
    needs_prompt = True

    max_length: int = setting(
        200,
        widget=Number(N_("Hoogstens zoveel tekens per antwoord"), *ANSWER_LENGTH),
        called=N_("maximale lengte"),
    )
    # the earlier open question whose answers these answers belong to (contributions to obstacles)
    links_to: str | None = setting(
        widget=Source(N_("Antwoorden horen bij een antwoord van"), empty=N_("Nee, losse antwoorden")),
        called=N_("hoort bij"),
    )
    multiple: bool = setting(
        True, widget=Check(N_("Deelnemers mogen meer antwoorden sturen")), called=N_("meer antwoorden")
    )
    themes: bool = setting(
        False, widget=Check(N_("Deelnemers kiezen een thema bij hun antwoord")), called=N_("thema's")
    )


def _source() -> Any:
    return setting(
        required="needs_source", widget=Source(N_("Werkt met de antwoorden van")), called=N_("antwoorden uit")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Cluster(Step):
    """The facilitator piles up the answers of an open question that belong together."""

    key = "cluster"
    label = N_("Ordenen")
    hint = N_("Jij legt antwoorden die bij elkaar horen op één stapel.")

    # the open question whose answers are piled up
    source: str = _source()


@dataclass(frozen=True, slots=True, kw_only=True)
class DotVote(Step):
    """Participants spread their dots over the piles."""

    key = "dot_vote"
    label = N_("Stemmen met stippen")
    hint = N_("Deelnemers verdelen stippen over de stapels.")
    needs_prompt = True

    # the open question whose piles are voted on
    source: str = _source()


def _grade(label: str) -> Number:
    return Number(label, GRADE_MIN, GRADE_MAX)


@dataclass(frozen=True, slots=True, kw_only=True)
class Grade(Step):
    """Participants give a grade on a scale within 1-10; a grade with a tile feeds the mosaic."""

    key = "grade"
    label = N_("Rapportcijfer")
    hint = N_("Deelnemers geven een cijfer.")
    needs_prompt = True

    low: int = setting(GRADE_MIN, widget=_grade(N_("Laagste cijfer")), called=N_("laagste cijfer"), row="scale")
    high: int = setting(GRADE_MAX, widget=_grade(N_("Hoogste cijfer")), called=N_("hoogste cijfer"), row="scale")
    # the grade the network aims for
    target: float | None = setting(
        widget=Number(N_("Streefcijfer (mag leeg)"), GRADE_MIN, GRADE_MAX, 0.1), called=N_("streefcijfer"), row="scale"
    )
    low_label: dict[str, str] | None = setting(
        widget=Text(N_("Tekst bij het laagste cijfer"), 60), called=N_("tekst bij het laagste cijfer")
    )
    high_label: dict[str, str] | None = setting(
        widget=Text(N_("Tekst bij het hoogste cijfer"), 60), called=N_("tekst bij het hoogste cijfer")
    )
    # the building block of the mosaic this grade fills
    tile: dict[str, str] | None = setting(
        widget=Text(N_("Tegel in het mozaïek (mag leeg)"), 40), called=N_("mozaïektegel")
    )

    def check(self) -> None:
        """The scale lies within the grades, low below high, and the target on the scale."""
        for name, value in (("low", self.low), ("high", self.high), ("target", self.target)):
            if value is not None and not GRADE_MIN <= value <= GRADE_MAX:
                raise StepError("outside_grades", field=name, name=name, value=value, low=GRADE_MIN, high=GRADE_MAX)
        if self.low >= self.high:
            raise StepError("low_not_below_high", field="low", low=self.low, high=self.high)
        if self.target is not None and not self.low <= self.target <= self.high:
            raise StepError("target_outside_scale", field="target", target=self.target, low=self.low, high=self.high)


@dataclass(frozen=True, slots=True, kw_only=True)
class Choice(Step):
    """Participants pick one option, or several, from those the facilitator gives."""

    key = "choice"
    label = N_("Meerkeuzevraag")
    hint = N_("Deelnemers kiezen uit opties die jij geeft.")
    needs_prompt = True

    options: list[dict[str, str]] = setting(
        required="needs_options", widget=Options(N_("Opties"), 120), called=N_("opties")
    )
    multiple: bool = setting(
        False, widget=Check(N_("Deelnemers mogen meer opties kiezen")), called=N_("meer antwoorden")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Mosaic(Step):
    """The screen shows the grades of the building blocks as a mosaic."""

    key = "mosaic"
    label = N_("Mozaïek")
    hint = N_("Het scherm toont de cijfers als mozaïek.")

    def check_in(self, steps: Sequence[Step], index: int) -> None:
        """A mosaic has grades with a tile to show."""
        if not any(isinstance(step, Grade) and step.tile for step in steps):
            first = next(i for i, step in enumerate(steps) if isinstance(step, Mosaic))
            raise StepError("mosaic_without_tiles", index=first)


@dataclass(frozen=True, slots=True, kw_only=True)
class Actions(Step):
    """The room agrees actions; participants raise a hand to join one."""

    key = "actions"
    label = N_("Afspraken maken")
    hint = N_("Jullie maken afspraken; deelnemers melden zich aan.")


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionReview(Step):
    """A follow-up looks back: owners say how their actions are doing."""

    key = "action_review"
    label = N_("Terugblik op afspraken")
    hint = N_("Eigenaren vertellen hoe hun afspraak ervoor staat.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Close(Step):
    """The end of the session; joining is over."""

    key = "close"
    label = N_("Afronding")
    hint = N_("Einde van de workshop; meedoen kan daarna niet meer.")
    place = "last"


COMMON = frozenset(f.name for f in fields(Step))


def _settings(cls: type[Step]) -> dict[str, Setting]:
    """A type's settings from its own fields, in the order the editor shows them."""
    found = {}
    for f in fields(cls):
        if f.name in COMMON:
            continue
        meta = f.metadata
        default = None if f.default is MISSING else f.default
        found[f.name] = Setting(f.name, default, missing=meta["missing"], **meta["about"])
    return found


# the step types' keys as format files may name them (tests/test_steps.py keeps it equal to STEP_TYPES)
StepKind = Literal[
    "lobby", "open_text", "cluster", "dot_vote", "grade", "choice", "mosaic", "actions", "action_review", "close"
]
# every step type by key, in the order the editor offers them (and format files list them in their errors)
STEP_TYPES: dict[str, type[Step]] = {
    cls.key: cls for cls in (Lobby, OpenText, Cluster, DotVote, Grade, Choice, Mosaic, Actions, ActionReview, Close)
}
# read once the dataclasses exist: a type's settings are its fields beyond those every step has
for _cls in STEP_TYPES.values():
    _cls.settings = _settings(_cls)
_FIELDS: dict[str, frozenset[str]] = {key: frozenset(f.name for f in fields(cls)) for key, cls in STEP_TYPES.items()}
# what a type writes out when a step leaves it unset; a default of None is simply left out
DEFAULTS: dict[str, dict[str, Any]] = {
    key: {name: s.default for name, s in cls.settings.items() if s.default is not None}
    for key, cls in STEP_TYPES.items()
}


def type_of(data: Any) -> type[Step] | None:
    """The registered type a step's data names; None for anything else (edited input may be anything)."""
    kind = data.get("type") if isinstance(data, Mapping) else None
    return STEP_TYPES.get(kind) if isinstance(kind, str) else None


def read(data: Mapping[str, Any]) -> Step:
    """A stored step as its type's typed step, every default filled in."""
    kind = data["type"]
    names = _FIELDS[kind]
    return STEP_TYPES[kind](**{name: value for name, value in data.items() if name in names})


@lru_cache(maxsize=256)
def read_stored(text: str) -> tuple[Step, ...]:
    """A workshop's typed steps from their stored JSON text: decoded once per version of the steps, and shared
    (a typed step is frozen)."""
    return tuple(map(read, json.loads(text)))


def with_defaults(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A stored step with its type's defaults written out, so clients need not know them; as it is if complete."""
    defaults = DEFAULTS.get(data.get("type", ""), {})
    if all(name in data for name in defaults):
        return data
    completed = dict(data)
    for name, value in defaults.items():
        completed.setdefault(name, value)
    return completed


def checked(data: Mapping[str, Any], *, given: set[str]) -> Step:
    """The typed step of a step's data (`given`: the names it sets), or the StepError of the first rule it breaks."""
    kind = data["type"]
    cls = STEP_TYPES[kind]
    for name in sorted(given - COMMON - set(cls.settings)):
        raise StepError("not_a_setting", field=name, name=name, type=kind)
    if cls.needs_prompt and data.get("prompt") is None:
        raise StepError("needs_prompt", field="prompt", type=kind)
    for name, about in cls.settings.items():
        if about.missing and data.get(name) is None:
            raise StepError(about.missing, field=name, type=kind)
    step = read(data)
    step.check()
    return step


def check_list(steps: Sequence[Step]) -> None:
    """Raise the StepError of the first rule the list breaks: ids, references to earlier questions, type rules, ends."""
    seen: dict[str, Step] = {}
    for index, step in enumerate(steps):
        if step.id in seen:
            last = max(i for i, other in enumerate(steps) if other.id == step.id)
            raise StepError("duplicate_id", field="id", index=last, id=step.id)
        for name, about in step.settings.items():
            other = getattr(step, name)
            if about.widget.kind == "source" and other is not None and not isinstance(seen.get(other), OpenText):
                raise StepError(
                    "not_an_earlier_open_text", field=name, index=index, id=step.id, setting=name, name=other
                )
        seen[step.id] = step
    for index, step in enumerate(steps):
        step.check_in(steps, index)
    if steps[0].place != "first":
        raise StepError("first_not_lobby", index=0)
    if steps[-1].place != "last":
        raise StepError("last_not_close", index=len(steps) - 1)


def editor_rows(kind: str) -> list[list[Setting]]:
    """A type's settings as the editor lays them out: one per row, or side by side where they share a row."""
    rows: list[list[Setting]] = []
    for about in STEP_TYPES[kind].settings.values() if kind in STEP_TYPES else ():
        if rows and about.row is not None and rows[-1][0].row == about.row:
            rows[-1].append(about)
        else:
            rows.append([about])
    return rows
