"""The office's list of the network's organisations: reading it (any member), adding, changing, confirming, merging."""

from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth import CsrfChecked, Manager, Viewer
from app.errors import DomainError
from app.i18n import N_, gettext
from app.labels import SECTOR_LABELS, label
from app.models import MAX_ROW_ID, SECTORS, Member, Organisation, RowId
from app.organisations import service as organisations
from app.runtime import Runtime, RuntimeDep
from app.security import whole_number
from app.store.events import Tx
from app.web import render, see_other

router = APIRouter()
# room for more aliases than allowed, so too many get their own message rather than a 422 on the field
ALIASES_FORM_MAX = 100 * (organisations.NAME_MAX + 1)
Name = Annotated[str, Form(max_length=300)]
Aliases = Annotated[str, Form(max_length=ALIASES_FORM_MAX)]
Sector = Annotated[str, Form(max_length=40)]
# what an edit form was filled from (organisations.seen_of): every field as ASCII JSON, a character at most twelve
# (one past U+FFFF, an emoji or 𝐁𝐨𝐥𝐝, is two escapes of six)
Seen = Annotated[
    str,
    Form(
        max_length=12 * (organisations.NAME_MAX * (organisations.ALIASES_MAX + 2) + organisations.ALIASES_MAX + 40)
        + 100
    ),
]
# the edit form's fields as a refusal names what changed in them
FIELD_LABELS = {
    "name": N_("Naam"),
    "short_name": N_("Korte naam"),
    "sector": N_("Sector"),
    "aliases": N_("Andere namen"),
}
# the refusals of an edit whose organisation is gone meanwhile: merged into another or removed, or its workspace
# merged away
GONE = ("organisation_not_found", "workspace_merged")
# an id the database can hold: a larger one is a 422, not an overflow
OrganisationId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


async def _list_page(
    request: Request, runtime: Runtime, member: Member, *, status: int = 200, **extra: Any
) -> Response:
    """The list, filtered by the query's words and sector, with the form for a new organisation."""
    text = request.query_params.get("q", "")[:200]
    sector = request.query_params.get("sector", "")[:40]
    rows = await runtime.db.read(
        partial(organisations.list_organisations, workspace_id=member.workspace_id, text=text, sector=sector)
    )
    new = [row for row in rows if not row.organisation.confirmed]
    context = {
        "new": new,
        "confirmed": [row for row in rows if row.organisation.confirmed],
        "text": text,
        "sector": sector,
        "sectors": SECTORS,
        "sector_label": partial(label, SECTOR_LABELS),
        "no_sector": organisations.NO_SECTOR,
        "filtered": bool(text or sector),
        "can_manage": member.can_manage,
        "limits": _limits(),
        **extra,
    }
    return render(request, "organisations/list.html", context, status=status)


def _limits() -> dict[str, int]:
    """The longest name, short name and number of aliases, as the form says them."""
    return {
        "name": organisations.NAME_MAX,
        "short_name": organisations.SHORT_NAME_MAX,
        "aliases": organisations.ALIASES_MAX,
    }


@router.get("/f/organisaties")
async def organisation_list(request: Request, runtime: RuntimeDep, member: Viewer) -> Response:
    """Every organisation of the workspace with what uses it; the new names first."""
    return await _list_page(
        request,
        runtime,
        member,
        saved=_query_number(request, "opgeslagen"),
        merged_into=_query_number(request, "samengevoegd"),
        moved={name: _query_number(request, name) or 0 for name in ("deelnemers", "eigenaar", "partner")},
    )


def _query_number(request: Request, name: str) -> int | None:
    """A number a redirect put in the query (the organisation saved or merged into, what moved), to show it."""
    return whole_number(request.query_params.get(name, ""), low=0)


@router.post("/f/organisaties", dependencies=[CsrfChecked])
async def create_organisation(
    request: Request,
    runtime: RuntimeDep,
    member: Manager,
    name: Name = "",
    short_name: Name = "",
    aliases: Aliases = "",
    sector: Sector = "",
) -> Response:
    """Add an organisation to the list, confirmed."""
    fields, problems = organisations.read_fields(name=name, short_name=short_name, aliases=aliases, sector=sector)
    typed = {"name": name, "short_name": short_name, "aliases": aliases, "sector": sector}
    if problems:
        return await _list_page(
            request, runtime, member, status=422, errors=[p.text() for p in problems], typed=typed, open_form=True
        )
    try:
        saved = await runtime.db.write(
            partial(organisations.save_organisation, workspace_id=member.workspace_id, fields=fields)
        )
    except DomainError as exc:
        if exc.status != 409:
            raise
        return await _list_page(request, runtime, member, status=409, errors=[exc.text()], typed=typed, open_form=True)
    return see_other(f"/f/organisaties?opgeslagen={saved.id}")


async def _edit_page(
    request: Request,
    runtime: Runtime,
    member: Member,
    organisation_id: RowId,
    *,
    status: int = 200,
    seen: str | None = None,
    seen_before: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """One organisation's form, and the form to merge it into another.

    seen, what the form was filled from, stays that of a form sent back for its own mistakes; seen_before, that of a
    form refused for a change made meanwhile: the page lists the change, and its form is filled from now on.
    """

    def load(db: Session) -> tuple[Organisation, list[organisations.OrganisationRow]]:
        found = organisations.workspace_organisation(
            db, workspace_id=member.workspace_id, organisation_id=organisation_id
        )
        return found, organisations.list_organisations(db, workspace_id=member.workspace_id)

    organisation, rows = await runtime.db.read(load)
    (own,) = [row for row in rows if row.organisation.id == organisation_id]
    changes = organisations.changed_since(seen_before, organisation) if seen_before else []
    context = {
        "organisation": organisation,
        "seen": seen or organisations.seen_of(organisation),
        "changes": [
            (gettext(FIELD_LABELS[name]), _shown(name, then), _shown(name, now)) for name, then, now in changes
        ],
        "usage": own,
        "others": sorted(
            (row.organisation for row in rows if row.organisation.id != organisation_id),
            key=lambda o: (organisations.name_order(o.name), o.id),
        ),
        "typed": {
            "name": organisation.name,
            "short_name": organisation.short_name,
            "aliases": "\n".join(organisation.aliases),
            "sector": organisation.sector or "",
        },
        "sectors": SECTORS,
        "sector_label": partial(label, SECTOR_LABELS),
        "limits": _limits(),
        **extra,
    }
    return render(request, "organisations/edit.html", context, status=status)


def _shown(name: str, value: str) -> str:
    """A field's value as a refusal lists it: a sector by its label, the other names after each other."""
    if name == "sector":
        value = label(SECTOR_LABELS, value or None)
    return ", ".join(value.splitlines()) or "—"


@router.get("/f/organisaties/{organisation_id:int}/bewerken")
async def edit_page(
    request: Request, runtime: RuntimeDep, member: Manager, organisation_id: OrganisationId
) -> Response:
    """The form to change an organisation or merge it into another."""
    return await _edit_page(request, runtime, member, organisation_id)


@dataclass(frozen=True, slots=True)
class _SentEdit:
    """An edit form as it was sent: its fields read, what was typed, what the form was filled from (seen, as sent
    and as read), and the form's own mistakes."""

    fields: organisations.OrganisationFields
    typed: dict[str, str]
    seen: str
    filled_from: dict[str, str] | None
    problems: list[DomainError]


def _read_edit(*, name: str, short_name: str, aliases: str, sector: str, seen: str) -> _SentEdit:
    """Read an edit form; a mistake in a field, or a seen that cannot be read, is one of its problems."""
    fields, problems = organisations.read_fields(name=name, short_name=short_name, aliases=aliases, sector=sector)
    typed = {"name": name, "short_name": short_name, "aliases": aliases, "sector": sector}
    filled_from: dict[str, str] | None = None
    try:
        filled_from = organisations.read_seen(seen)
    except DomainError as exc:
        problems.append(exc)
    return _SentEdit(fields=fields, typed=typed, seen=seen, filled_from=filled_from, problems=problems)


@router.post("/f/organisaties/{organisation_id:int}/bewerken", dependencies=[CsrfChecked])
async def save_organisation(
    request: Request,
    runtime: RuntimeDep,
    member: Manager,
    organisation_id: OrganisationId,
    name: Name = "",
    short_name: Name = "",
    aliases: Aliases = "",
    sector: Sector = "",
    seen: Seen = "",
) -> Response:
    """Change an organisation's names or sector (which confirms it); a new name shows wherever it was used.

    A form filled before someone else's change is refused (409) with that change shown and what was typed kept.
    """
    sent = _read_edit(name=name, short_name=short_name, aliases=aliases, sector=sector, seen=seen)
    if sent.problems:
        return await _sent_back(request, runtime, member, organisation_id, sent, sent.problems)
    job = partial(
        organisations.save_organisation,
        workspace_id=member.workspace_id,
        organisation_id=organisation_id,
        fields=sent.fields,
        seen=sent.filled_from,
    )
    try:
        saved = await runtime.db.write(job)
    except DomainError as exc:
        if exc.code in GONE:
            return await _gone_page(request, runtime, member, exc, filled_from=sent.filled_from, typed=sent.typed)
        if exc.status != 409:
            raise
        if exc.code == "organisation_changed_meanwhile":
            return await _changed_meanwhile(request, runtime, member, organisation_id, sent, exc)
        return await _sent_back(request, runtime, member, organisation_id, sent, [exc])
    return see_other(f"/f/organisaties?opgeslagen={saved.id}")


async def _sent_back(
    request: Request,
    runtime: Runtime,
    member: Member,
    organisation_id: int,
    sent: _SentEdit,
    problems: list[DomainError],
) -> Response:
    """The form again for its own mistakes, or for a refusal such as a name another organisation has: what was
    typed kept, and what it was filled from kept too (a save from it is still checked against that)."""
    return await _edit_page_or_gone(
        request,
        runtime,
        member,
        organisation_id,
        sent,
        status=problems[0].status,
        errors=[problem.text() for problem in problems],
        typed=sent.typed,
        seen=sent.seen if sent.filled_from is not None else None,
    )


async def _changed_meanwhile(
    request: Request, runtime: Runtime, member: Member, organisation_id: int, sent: _SentEdit, error: DomainError
) -> Response:
    """The form refused (409) for someone else's change since it was filled: the page lists that change, keeps what
    was typed, and is filled from the organisation as it is now, so the next save can go through."""
    return await _edit_page_or_gone(
        request,
        runtime,
        member,
        organisation_id,
        sent,
        status=error.status,
        errors=[error.text()],
        typed=sent.typed,
        seen_before=sent.filled_from,
    )


async def _edit_page_or_gone(
    request: Request, runtime: Runtime, member: Member, organisation_id: int, sent: _SentEdit, **page: Any
) -> Response:
    """The edit page as asked; the page for a gone organisation should it be gone by the time the page is read."""
    try:
        return await _edit_page(request, runtime, member, organisation_id, **page)
    except DomainError as exc:
        if exc.code not in GONE:
            raise
        return await _gone_page(request, runtime, member, exc, filled_from=sent.filled_from, typed=sent.typed)


async def _gone_page(
    request: Request,
    runtime: Runtime,
    member: Member,
    error: DomainError,
    *,
    filled_from: dict[str, str] | None,
    typed: dict[str, str],
) -> Response:
    """An edit form sent back for an organisation that is gone (404), or whose workspace is (409): the organisation
    that has its name now, where a merge put it, and what was typed, to take over there."""
    into = None
    if error.code == "organisation_not_found":
        into = await runtime.db.read(
            partial(organisations.where_it_went, workspace_id=member.workspace_id, seen=filled_from)
        )
    # each field's lines as typed, a sector by its label
    shown = {**typed, "sector": label(SECTOR_LABELS, typed["sector"] or None)}
    context = {
        "name": (filled_from or {}).get("name") or typed["name"],
        "into": into,
        # a workspace merged away meanwhile says so itself
        "reason": error.text() if error.code != "organisation_not_found" else "",
        "typed": [
            (gettext(FIELD_LABELS[field]), shown[field].splitlines())
            for field in ("name", "short_name", "sector", "aliases")
            if shown[field].strip()
        ],
    }
    return render(request, "organisations/gone.html", context, status=error.status)


@router.post("/f/organisaties/{organisation_id:int}/bevestigen", dependencies=[CsrfChecked])
async def confirm_organisation(runtime: RuntimeDep, member: Manager, organisation_id: OrganisationId) -> Response:
    """Take a typed name into the list: it leaves "Nieuw" and joining phones are offered it."""
    organisation = await runtime.db.write(
        partial(organisations.confirm_organisation, workspace_id=member.workspace_id, organisation_id=organisation_id)
    )
    return see_other(f"/f/organisaties?opgeslagen={organisation.id}")


@router.post("/f/organisaties/{organisation_id:int}/samenvoegen", dependencies=[CsrfChecked])
async def merge_organisation(
    runtime: RuntimeDep,
    member: Manager,
    organisation_id: OrganisationId,
    into: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
) -> Response:
    """Merge a duplicate into another organisation: its participants, actions and names go along; it is gone."""

    def job(db: Tx) -> organisations.Merged:
        return organisations.merge_organisation(
            db,
            workspace_id=member.workspace_id,
            organisation_id=organisation_id,
            into_id=into,
            account_id=member.account_id,
        )

    merged = await runtime.db.write(job)
    moved = f"deelnemers={merged.participants}&eigenaar={merged.owned}&partner={merged.partnered}"
    return see_other(f"/f/organisaties?samengevoegd={into}&{moved}")
