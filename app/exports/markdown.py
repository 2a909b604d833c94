"""The besluitenlijst as Markdown, for a wiki, an e-mail or a repository."""

import re

from app import i18n
from app.exports import wording
from app.exports.data import ACTIONS, CONTRIBUTIONS, OBSTACLES, AnswerRow, DecisionList, QuestionResult, Result
from app.exports.results import ChoiceResult, GradeResult, Mosaic, Review
from app.i18n import N_, gettext

# characters that format text inline; escaped so an answer like "*dringend*" stays as typed
_INLINE = re.compile(r"([\\`*_{}\[\]<>|~])")
# "&amp;" and the like would turn into the character they name
_ENTITY = re.compile(r"&(?=#?\w+;)")
# what would make a line a heading, list item or quote when it starts a block
_BLOCK_START = re.compile(r"^(\s*)([#>+\-=]|\d+[.)])", re.MULTILINE)


def _escape(value: str) -> str:
    return _ENTITY.sub(r"\\&", _INLINE.sub(r"\\\1", value))


def text(value: str) -> str:
    """User text on one line, escaped so it cannot add formatting, links or HTML."""
    return _escape(" ".join(value.split()))


def block(value: str) -> str:
    """User text as a paragraph: line breaks kept, and no line can start a heading or list."""
    lines = [_escape(line.strip()) for line in value.splitlines()]
    escaped = "  \n".join(line for line in lines if line)
    return _BLOCK_START.sub(_escape_block_start, escaped)


def _escape_block_start(match: re.Match[str]) -> str:
    indent, start = match.group(1), match.group(2)
    # "1." becomes "1\.": a backslash may only stand before punctuation
    return indent + (start[:-1] + "\\" + start[-1] if start[0].isdigit() else "\\" + start)


def _field(label: str, value: str) -> str:
    return f"- **{gettext(label)}:** {value}"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _review(review: Review) -> list[str]:
    out = [f"## {gettext(N_('Wat is er bewogen'))}", "", text(wording.review_source(review)), ""]
    if not review.items:
        all_done = gettext(N_("Alle afspraken van die workshop waren de vorige keer al klaar."))
        return out + ([all_done, ""] if review.workshop_id else [])
    out += [text(wording.review_summary(review)), ""]
    headers = (N_("Actie"), N_("Eigenaar"), N_("Was"), N_("Nu"), N_("Bewogen"), N_("Toelichting"))
    out += [_row(*(gettext(h) for h in headers)), "| --- | --- | --- | --- | --- | --- |"]
    yes = gettext(N_("ja"))
    for item in review.items:
        now = wording.review_now(item)
        out.append(
            _row(
                text(item.title),
                text(item.owner),
                wording.status_name(item.before),
                f"**{now}**" if item.moved else now,
                yes if item.moved else "",
                text(item.note),
            )
        )
    return [*out, ""]


def _mosaic(mosaic: Mosaic) -> list[str]:
    headers = (N_("Bouwsteen"), N_("Gemiddeld"), N_("Spreiding"), N_("Cijfers"), N_("Doel"))
    out = [f"## {gettext(N_('Het mozaïek'))}", ""]
    out += [_row(*(gettext(h) for h in headers)), "| --- | --: | --: | --: | --: |"]
    attention = gettext(N_("vraagt aandacht"))
    for tile in mosaic.tiles:
        name = f"**{text(tile.tile)}** ({attention})" if tile.weakest else text(tile.tile)
        target = wording.figure(tile.target, decimals=1) if tile.target is not None else ""
        out.append(_row(name, wording.figure(tile.mean), wording.figure(tile.spread), i18n.number(tile.count), target))
    return [*out, "", text(wording.mosaic_legend(mosaic)), ""]


def _result(result: Result) -> list[str]:
    out = [f"_{text(result.prompt)}_", ""] if result.prompt else []
    if isinstance(result, GradeResult):
        figures = wording.grade_figures(result.mean, result.median, result.spread, result.count)
        out += [figures, ""]
        out.append(_row(gettext(N_("Cijfer")), *(str(c.grade) for c in result.distribution)))
        out.append("| --- |" + " --: |" * len(result.distribution))
        out.append(_row(gettext(N_("Aantal")), *(i18n.number(c.count) for c in result.distribution)))
    elif isinstance(result, ChoiceResult):
        out += [wording.chooser_count(result.count), ""]
        out += [_row(gettext(N_("Keuze")), gettext(N_("Aantal"))), "| --- | --: |"]
        out += [_row(text(o.label), i18n.number(o.count)) for o in result.options]
    elif isinstance(result, QuestionResult):
        out += _answers(result)
    return [*out, ""]


def _answers(question: QuestionResult) -> list[str]:
    if not question.answers:
        return [gettext(N_("Geen antwoorden."))]
    groups = question.by_theme if question.themes else ()
    if not groups:
        return [_answer(a) for a in question.answers]
    out: list[str] = []
    for group in groups:
        out += [f"**{wording.theme(group.theme)}**", ""]
        out += [_answer(a) for a in group.answers]
        out.append("")
    return out[:-1]


def _answer(answer: AnswerRow) -> str:
    # an anonymous answer is only "Anoniem": saying so under every line of a residents' evening is noise
    return f"- {text(answer.text)}" + (f" _({text(answer.label)})_" if answer.author else "")


def decision_list_markdown(decisions: DecisionList) -> str:
    """The besluitenlijst: opgave, then what the format has (look back, mosaic, results, obstacles, actions)."""
    workshop = decisions.workshop
    out = [
        f"# {gettext(N_('Besluitenlijst'))}: {text(workshop.title)}",
        "",
        f"{gettext(N_('Gehouden op'))} {wording.day(workshop.held_on)}",
        "",
        f"## {gettext(N_('Opgave'))}",
        "",
        *(f"> {line}" for line in block(workshop.opgave).split("\n")),
        "",
    ]
    if decisions.review is not None:
        out += _review(decisions.review)
    if decisions.mosaic is not None:
        out += _mosaic(decisions.mosaic)
    if decisions.results:
        out += [f"## {gettext(N_('Uitkomsten per vraag'))}", ""]
        for group in decisions.result_groups:
            out += [f"### {text(group.title)}", ""]
            for result in group.results:
                out += _result(result)
    if OBSTACLES in decisions.sections:
        out += _obstacles(decisions)
    if CONTRIBUTIONS in decisions.sections:
        out += _contributions(decisions)
    if ACTIONS in decisions.sections:
        out += _actions(decisions)
    out += [f"## {gettext(N_('Vervolgafspraak'))}", "", text(wording.followup(workshop)), ""]
    return "\n".join(out)


def _obstacles(decisions: DecisionList) -> list[str]:
    out = [f"## {gettext(N_('Obstakels op volgorde van stemmen'))}", ""]
    if decisions.obstacles:
        headers = [N_("Stemmen"), N_("Obstakel"), N_("Cluster"), N_("Spanning"), N_("Thema"), N_("Organisatie")]
        out.append("| " + " | ".join(gettext(h) for h in headers) + " |")
        out.append("| --: | --- | --- | --- | --- | --- |")
        focus = gettext(N_("focus"))
        for o in decisions.obstacles:
            obstacle = text(o.text) + (f" **({focus})**" if o.focus else "")
            cells = [
                "" if o.shown_votes is None else i18n.number(o.shown_votes),
                obstacle,
                text(o.cluster or ""),
                text(wording.tension(o.tension)),
                text(wording.theme_label(o.theme)),
            ]
            out.append("| " + " | ".join([*cells, text(o.organisation)]) + " |")
    else:
        out.append(gettext(N_("Geen obstakels.")))
    return [*out, ""]


def _contributions(decisions: DecisionList) -> list[str]:
    out = [f"## {gettext(N_('Bijdragen per organisatie'))}", ""]
    if not decisions.contributions:
        out += [gettext(N_("Geen bijdragen.")), ""]
    for group in decisions.contributions:
        out += [f"### {text(group.organisation)}", ""]
        for c in group.contributions:
            details = [text(c.author)] if c.author else []
            if c.obstacle:
                details.append(f"{gettext(N_('bij obstakel'))}: {text(c.obstacle)}")
            out.append(f"- {text(c.text)}" + (f" _({'; '.join(details)})_" if details else ""))
        out.append("")
    return out


def _actions(decisions: DecisionList) -> list[str]:
    out = [f"## {gettext(N_('Acties'))}", ""]
    if not decisions.actions:
        out += [gettext(N_("Nog geen acties afgesproken.")), ""]
    for number, a in enumerate(decisions.actions, start=1):
        out += [f"### {number}. {text(a.title)}", ""]
        if a.description:
            out += [block(a.description), ""]
        out.append(_field(N_("Eigenaar"), text(a.owner)))
        if a.partners:
            out.append(_field(N_("Samen met"), text(", ".join(a.partners))))
        if a.contact:
            out.append(_field(N_("Contactpersoon"), text(a.contact)))
        out.append(_field(N_("Deadline"), wording.day(a.due_on) or gettext(N_("geen"))))
        out.append(_field(N_("Status"), wording.status(a)))
        if a.obstacle:
            out.append(_field(N_("Obstakel"), text(a.obstacle)))
        out.append(_field(N_("Vrijwilligers"), text(wording.volunteers(a)) or gettext(N_("nog niemand"))))
        out.append("")
    return out


def decision_list_md(decisions: DecisionList) -> bytes:
    """The Markdown as UTF-8 bytes."""
    return decision_list_markdown(decisions).encode("utf-8")
