"""The besluitenlijst as Markdown, for a wiki, an e-mail or a repository."""

import re

from app.exports import wording
from app.exports.data import DecisionList
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


def decision_list_markdown(decisions: DecisionList) -> str:
    """The besluitenlijst: opgave, obstacles by votes, contributions, actions and the follow-up."""
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
        f"## {gettext(N_('Obstakels op volgorde van stemmen'))}",
        "",
    ]
    if decisions.obstacles:
        headers = [N_("Stemmen"), N_("Obstakel"), N_("Cluster"), N_("Spanning"), N_("Thema"), N_("Organisatie")]
        out.append("| " + " | ".join(gettext(h) for h in headers) + " |")
        out.append("| --: | --- | --- | --- | --- | --- |")
        focus = gettext(N_("focus"))
        for o in decisions.obstacles:
            obstacle = text(o.text) + (f" **({focus})**" if o.focus else "")
            cells = [str(o.votes), obstacle, text(o.cluster or ""), text(o.tension or ""), text(o.theme or "")]
            out.append("| " + " | ".join([*cells, text(o.organisation)]) + " |")
    else:
        out.append(gettext(N_("Geen obstakels.")))
    out += ["", f"## {gettext(N_('Bijdragen per organisatie'))}", ""]
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
    out += [f"## {gettext(N_('Acties'))}", ""]
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
    out += [f"## {gettext(N_('Vervolgafspraak'))}", "", text(wording.followup(workshop)), ""]
    return "\n".join(out)


def decision_list_md(decisions: DecisionList) -> bytes:
    """The Markdown as UTF-8 bytes."""
    return decision_list_markdown(decisions).encode("utf-8")
