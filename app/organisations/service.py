"""The network's organisations: finding one by any of its names, the list the office keeps, and merging duplicates."""

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, bindparam, delete, event, func, inspect, or_, select, union, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper, Session
from sqlmodel import col

from app.errors import DomainError
from app.i18n import N_
from app.models import (
    NAMELESS,
    SECTORS,
    Action,
    ActionChange,
    ActionPartner,
    CalendarFeed,
    Organisation,
    OrganisationName,
    Participant,
    ReviewItem,
    Volunteer,
    Workshop,
    table_of,
    utcnow,
)
from app.security import clean_line, clean_text
from app.store.database import held_workspace
from app.store.events import Audience, EventKind, Tx, append_event
from app.store.prepared import Prepared

KEY_MAX = 120
NAME_MAX = 120
SHORT_NAME_MAX = 40
ALIASES_MAX = 20
# the sector filter's value for organisations without one
NO_SECTOR = "geen"


def organisation_key(name: str) -> str:
    """A name folded for matching: case, accents, punctuation and spacing do not count ("Gem. Heerlen" is
    "gem heerlen", "Südwest" is "sudwest").

    Stored keys were made with it: a change here needs a migration that makes them again (as 0014 did).
    """
    # case folded again once the accents are off: some signs come apart into capitals ("№" is "No", "™" is "TM")
    return " ".join(re.sub(r"[^\w\s]", " ", without_accents(name.casefold()).casefold()).split())[:KEY_MAX]


def without_accents(text: str) -> str:
    """A text with its letters' accents and other marks left off ("Zuyderländ" → "Zuyderland")."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M"))


def search_words(text: str) -> list[str]:
    """The words of a text as searching compares them: lower case, without accents ("Zuyderländ" → "zuyderland").

    static/js/organisation_search.js does the same in the browser; tests/organisations/search_cases.json holds
    both to it.
    """
    return re.findall(r"[^\W_]+", without_accents(text).lower())


def search_text(*texts: str | None) -> str:
    """The search words of the texts in one string, each after a space, so that a typed word (as search_words gives
    it) starts a word of them where " " + word is in it: matches() as a database can ask it."""
    return "".join(f" {word}" for text in texts if text for word in search_words(text))


NameOrder = tuple[str | tuple[int, str], ...]


def name_order(name: str) -> NameOrder:
    """How a name sorts in every list: by its search words, numbers by their value ("Huis 2" before "Huis 10").

    The words alternate with the numbers in them, so two names compare word with word and number with number.
    """
    parts = re.split(r"(\d+)", " ".join(search_words(name)))
    # a number as its digits (any script's, as 0-9) without leading zeros, longer ones after: no int() of a long run
    numbers = ("".join(str(unicodedata.digit(c)) for c in part).lstrip("0") for part in parts[1::2])
    paired = zip(parts[:-1:2], ((len(n), n) for n in numbers), strict=True)
    return (*(part for pair in paired for part in pair), parts[-1])


def name_key(name: str) -> bytes:
    """name_order as bytes that sort byte by byte as it does (SQLite's BLOB, PostgreSQL's bytea), for the database
    to order and page names by; models.NAMELESS, after all of them, for no name.

    Stored keys were made with it: a change here needs a migration that makes them again (as 0017 made them).
    """
    if not name:
        return NAMELESS
    key = bytearray()
    for part in name_order(name):
        if isinstance(part, str):
            # ended by a zero, below every UTF-8 byte: a part that begins another sorts first, as in a tuple
            key += part.encode() + b"\0"
        else:
            length, digits = part
            key += length.to_bytes(2, "big") + digits.encode()
    return bytes(key)


def owner_key(name: str) -> bytes:
    """An action's owner as the register sorts it (Action.owner_key): name_key, except that an owner of no name
    sorts first, with the names of signs alone, which name no organisation.

    Stored keys were made with it: a change here needs a migration that makes them again (as 0025 made them).
    """
    # a name of signs alone has the key of an empty name_order: a zero, below every other key
    return name_key(name) if name else b"\0"


def participant_named(name: str, email: str | None) -> dict[str, Any]:
    """A participant's name and address with the columns made of them (name_key, search_text), as one write sets
    them: a new row's values, or a statement's. The ORM's writes get them at the flush (_keep_participant_named)."""
    return {"name": name, "email": email, "name_key": name_key(name), "search_text": search_text(name, email)}


def owned_by(name: str) -> dict[str, Any]:
    """An action's owner's name with the key the register sorts it by (owner_key), as one write sets them: a
    statement's values. The ORM's writes get the key at the flush (_keep_owner_key)."""
    return {"owner_organisation": name, "owner_key": owner_key(name)}


@event.listens_for(Participant, "before_insert")
@event.listens_for(Participant, "before_update")
def _keep_participant_named(mapper: Mapper[Participant], connection: Connection, participant: Participant) -> None:
    """Make a participant's name key and search words again when the unit of work writes a new name or address."""
    changed = inspect(participant).attrs
    if participant.id is None or changed.name.history.has_changes() or changed.email.history.has_changes():
        for column, value in participant_named(participant.name, participant.email).items():
            setattr(participant, column, value)


@event.listens_for(Action, "before_insert")
@event.listens_for(Action, "before_update")
def _keep_owner_key(mapper: Mapper[Action], connection: Connection, action: Action) -> None:
    """Make an action's owner key again when the unit of work writes a new owner."""
    if action.id is None or inspect(action).attrs.owner_organisation.history.has_changes():
        action.owner_key = owner_key(action.owner_organisation)


def matches(query: str, names: Iterable[str]) -> bool:
    """Whether every typed word starts a word of one of the names ("gem hee" finds "Gemeente Heerlen")."""
    wanted = search_words(query)
    words = {word for name in names for word in search_words(name)}
    return all(any(word.startswith(typed) for word in words) for typed in wanted)


def all_names(organisation: Organisation) -> list[str]:
    """An organisation's name, short name and aliases: every name it is found by."""
    return [organisation.name, *([organisation.short_name] if organisation.short_name else []), *organisation.aliases]


def find_organisation(db: Session, *, workspace_id: int, name: str) -> Organisation | None:
    """The workspace's organisation with this name, short name or alias, if any."""
    key = organisation_key(name)
    if not key:
        return None
    query = (
        select(Organisation)
        .join(OrganisationName, col(OrganisationName.organisation_id) == col(Organisation.id))
        .where(col(OrganisationName.workspace_id) == workspace_id, col(OrganisationName.key) == key)
    )
    return db.execute(query).scalar_one_or_none()


_ORGANISATION = table_of(Organisation)
_ORGANISATION_NAME = table_of(OrganisationName)
# a join storm asks this once per phone: a plain statement on the driver's cursor (app/store/prepared.py)
_NAMED = Prepared(
    select(_ORGANISATION.c.id, _ORGANISATION.c.name)
    .select_from(_ORGANISATION_NAME.join(_ORGANISATION, _ORGANISATION.c.id == _ORGANISATION_NAME.c.organisation_id))
    .where(_ORGANISATION_NAME.c.workspace_id == bindparam("workspace"), _ORGANISATION_NAME.c.key == bindparam("key"))
)


def organisation_named(db: Tx, *, workspace_id: int, name: str) -> tuple[int, str] | None:
    """The id and the network's spelling of the organisation a typed name stands for, as resolve_organisation
    finds or makes it, without loading the organisation when it exists."""
    key = organisation_key(name)
    if not key:
        return None
    found = _NAMED.one(db, {"workspace": workspace_id, "key": key})
    if found is not None:
        return found[0], found[1]
    made = resolve_organisation(db, workspace_id=workspace_id, name=name)
    return (made.id or 0, made.name) if made is not None else None


def resolve_organisation(db: Session, *, workspace_id: int, name: str) -> Organisation | None:
    """The organisation a typed name stands for; a name nobody used before becomes a new, unconfirmed one."""
    found = find_organisation(db, workspace_id=workspace_id, name=name)
    if found is not None or not organisation_key(name):
        return found
    key = organisation_key(name)
    try:
        with db.begin_nested():
            organisation = Organisation(workspace_id=workspace_id, name=name, key=key)
            db.add(organisation)
            db.flush()
            db.add(OrganisationName(workspace_id=workspace_id, key=key, organisation_id=organisation.id or 0))
            db.flush()
    except IntegrityError:
        # another worker added the same name a moment ago: use theirs; with none, it failed on something else (a
        # workspace merged away meanwhile), for the writer to answer
        found = find_organisation(db, workspace_id=workspace_id, name=name)
        if found is None:
            raise
        return found
    return organisation


def workspace_organisation(db: Session, *, workspace_id: int, organisation_id: int, lock: bool = False) -> Organisation:
    """An organisation of this workspace; any other is reported as not found.

    lock holds its row until the transaction ends (PostgreSQL), for a change that checks the organisation first.
    """
    organisation = db.get(Organisation, organisation_id, with_for_update=lock)
    if organisation is None or organisation.workspace_id != workspace_id:
        raise DomainError("organisation_not_found", N_("Deze organisatie bestaat niet."), status=404)
    return organisation


def changed_rows(db: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE; returns how many rows it changed."""
    return cast(CursorResult[Any], db.execute(statement)).rowcount


# ---- the list


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    """An organisation on the list, with how many participants and actions use it."""

    organisation: Organisation
    participants: int
    owned: int
    partnered: int
    # other organisations whose name is the same once folded: two kept apart when keys began to fold accents
    # (migration 0014), for the office to merge
    same_name_as: tuple[str, ...] = ()


def check_sector_filter(sector: str) -> None:
    """Refuse a sector filter that is neither empty, a sector, nor "geen"."""
    if sector and sector != NO_SECTOR and sector not in SECTORS:
        raise DomainError("unknown_sector", N_("Deze sector kennen we niet. Kies er een uit de lijst."), status=422)


def list_organisations(db: Session, *, workspace_id: int, text: str = "", sector: str = "") -> list[OrganisationRow]:
    """The workspace's organisations, new ones first, then by name; filtered by words and sector ("geen": none)."""
    check_sector_filter(sector)
    query = select(Organisation).where(col(Organisation.workspace_id) == workspace_id)
    if sector == NO_SECTOR:
        query = query.where(col(Organisation.sector).is_(None))
    elif sector:
        query = query.where(col(Organisation.sector) == sector)
    found = [o for o in db.execute(query).scalars() if matches(text, all_names(o))]
    participants, owned, partnered = usage_counts(db, workspace_id=workspace_id)
    found.sort(key=lambda o: (o.confirmed, name_order(o.name), o.id))
    same = _same_names(db, workspace_id=workspace_id)
    return [
        OrganisationRow(
            o,
            participants.get(o.id or 0, 0),
            owned.get(o.id or 0, 0),
            partnered.get(o.id or 0, 0),
            tuple(name for other_id, name in same.get(organisation_key(o.name), []) if other_id != o.id),
        )
        for o in found
    ]


def _same_names(db: Session, *, workspace_id: int) -> dict[str, list[tuple[int, str]]]:
    """The workspace's organisations (id, name) by folded name, where two or more share one."""
    by_key: dict[str, list[tuple[int, str]]] = defaultdict(list)
    query = select(col(Organisation.id), col(Organisation.name)).where(col(Organisation.workspace_id) == workspace_id)
    for organisation_id, name in db.execute(query.order_by(col(Organisation.id))).all():
        by_key[organisation_key(name)].append((organisation_id or 0, name))
    # a name of marks alone ("ͺ", kept from before 0014) folds to nothing now: two such share no name
    return {key: named for key, named in by_key.items() if key and len(named) > 1}


def usage_counts(db: Session, *, workspace_id: int) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Per organisation id: its participants, the actions it owns, and those it shares (withdrawn ones not counted)."""
    participants = db.execute(
        select(col(Participant.organisation_id), func.count())
        .join(Organisation, col(Organisation.id) == col(Participant.organisation_id))
        .where(col(Organisation.workspace_id) == workspace_id)
        .group_by(col(Participant.organisation_id))
    ).all()
    owned = db.execute(
        select(col(Action.owner_organisation_id), func.count())
        .where(col(Action.workspace_id) == workspace_id, col(Action.deleted_at).is_(None))
        .group_by(col(Action.owner_organisation_id))
    ).all()
    partnered = db.execute(
        select(col(ActionPartner.organisation_id), func.count())
        .join(Action, col(Action.id) == col(ActionPartner.action_id))
        .where(col(Action.workspace_id) == workspace_id, col(Action.deleted_at).is_(None))
        .group_by(col(ActionPartner.organisation_id))
    ).all()
    return (
        {oid: n for oid, n in participants if oid is not None},
        {oid: n for oid, n in owned if oid is not None},
        {oid: n for oid, n in partnered if oid is not None},
    )


def count_new(rows: Sequence[OrganisationRow]) -> int:
    """How many of the rows the office has not confirmed yet."""
    return sum(1 for row in rows if not row.organisation.confirmed)


def join_choices(db: Session, *, workspace_id: int, workshop_id: int) -> list[dict[str, Any]]:
    """What a phone joining this workshop may pick: confirmed organisations and those used in it, names only.

    One query: the workspace's organisations (found through uq_organisation_key, which leads with the workspace)
    and the workshop's participants (through their workshop index).
    """
    used = select(col(Participant.organisation_id)).where(col(Participant.workshop_id) == workshop_id)
    rows = db.execute(
        select(col(Organisation.name), col(Organisation.short_name), col(Organisation.aliases)).where(
            col(Organisation.workspace_id) == workspace_id,
            or_(col(Organisation.confirmed), col(Organisation.id).in_(used)),
        )
    ).all()
    choices = [{"name": name, "also": [n for n in [short_name, *aliases] if n]} for name, short_name, aliases in rows]
    return sorted(choices, key=lambda choice: (name_order(choice["name"]), choice["name"]))


# ---- creating and changing


@dataclass(frozen=True, slots=True)
class OrganisationFields:
    """What the office types about an organisation, cleaned."""

    name: str
    short_name: str = ""
    aliases: tuple[str, ...] = ()
    sector: str | None = None

    def names(self) -> list[str]:
        """Name, short name and aliases, as typed."""
        return [self.name, *([self.short_name] if self.short_name else []), *self.aliases]


def read_fields(
    *, name: str, short_name: str = "", aliases: str = "", sector: str = ""
) -> tuple[OrganisationFields, list[DomainError]]:
    """The form's fields cleaned (aliases one per line), with what is wrong with them (nothing: an empty list)."""
    problems: list[DomainError] = []
    name, short_name = clean_line(name), clean_line(short_name)
    lines = [clean_text(line) for line in aliases.splitlines()]
    alias_list = [line for line in lines if line]
    if not name:
        problems.append(DomainError("name_missing", N_("Vul de naam van de organisatie in."), status=422))
    elif len(name) > NAME_MAX:
        problems.append(
            DomainError("name_too_long", N_("De naam is te lang: hoogstens {max} tekens."), status=422, max=NAME_MAX)
        )
    if len(short_name) > SHORT_NAME_MAX:
        problems.append(
            DomainError(
                "short_name_too_long",
                N_("De korte naam is te lang: hoogstens {max} tekens."),
                status=422,
                max=SHORT_NAME_MAX,
            )
        )
    for alias in alias_list:
        if len(alias) > NAME_MAX:
            problems.append(
                DomainError(
                    "alias_too_long",
                    N_("Een andere naam is te lang (hoogstens {max} tekens): ‘{alias}…’"),
                    status=422,
                    max=NAME_MAX,
                    alias=alias[:40],
                )
            )
    for typed in [name, short_name, *alias_list]:
        if typed and not organisation_key(typed):
            problems.append(
                DomainError(
                    "name_without_letters",
                    N_("‘{name}’ heeft geen letters of cijfers: zo vindt niemand de organisatie."),
                    status=422,
                    name=typed[:40],
                )
            )
    if sector and sector not in SECTORS:
        problems.append(
            DomainError("unknown_sector", N_("Deze sector kennen we niet. Kies er een uit de lijst."), status=422)
        )
    # an alias that is the name or short name again, or another alias again, is kept once
    seen = {organisation_key(name), organisation_key(short_name)}
    unique_aliases = []
    for alias in alias_list:
        key = organisation_key(alias)
        if key not in seen:
            seen.add(key)
            unique_aliases.append(alias)
    if len(unique_aliases) > ALIASES_MAX:
        problems.append(
            DomainError(
                "too_many_aliases",
                N_("Hoogstens {max} andere namen; dit zijn er {count}."),
                status=422,
                max=ALIASES_MAX,
                count=len(unique_aliases),
            )
        )
    fields = OrganisationFields(name, short_name, tuple(unique_aliases), sector or None)
    return fields, problems


def _checked_keys(db: Session, *, workspace_id: int, fields: OrganisationFields, own_id: int | None) -> list[str]:
    """The folded keys of the fields' names; a 409 when one of them belongs to another organisation already."""
    keys = list(dict.fromkeys(organisation_key(name) for name in fields.names()))
    taken = db.execute(
        select(col(OrganisationName.key), col(Organisation.name))
        .join(Organisation, col(Organisation.id) == col(OrganisationName.organisation_id))
        .where(
            col(OrganisationName.workspace_id) == workspace_id,
            col(OrganisationName.key).in_(keys),
            col(OrganisationName.organisation_id) != (own_id or 0),
        )
    ).first()
    if taken is not None:
        key, other = taken
        typed = next(name for name in fields.names() if organisation_key(name) == key)
        raise DomainError(
            "name_taken",
            # a new organisation has nothing to merge yet: the one it names is on the list already
            N_("‘{name}’ is al een naam van {other}. Die staat dus al op de lijst.")
            if own_id is None
            else N_("‘{name}’ is al een naam van {other}. Voeg de twee samen, of kies een andere naam."),
            status=409,
            name=typed,
            other=other,
        )
    return keys


# ---- the edit form's "seen": what it was filled from, so a save over a change made since is refused

# the fields of the edit form, in the order a refusal lists what changed
FORM_FIELDS = ("name", "short_name", "sector", "aliases")


def form_values(organisation: Organisation) -> dict[str, str]:
    """An organisation's fields as its edit form shows them (aliases one per line)."""
    return {
        "name": organisation.name,
        "short_name": organisation.short_name,
        "sector": organisation.sector or "",
        "aliases": "\n".join(organisation.aliases),
    }


def seen_of(organisation: Organisation) -> str:
    """What an edit form is filled from, as the form hands it back (ASCII JSON: no line breaks for a browser to
    change on the way)."""
    return json.dumps(form_values(organisation), ensure_ascii=True, sort_keys=True)


def read_seen(raw: str) -> dict[str, str] | None:
    """A form's seen back; None for a form without one (opened before there was one); anything else is a 422."""
    if not raw:
        return None
    try:
        values = json.loads(raw)
    except ValueError:
        values = None
    if (
        not isinstance(values, dict)
        or set(values) != set(FORM_FIELDS)
        or not all(isinstance(value, str) for value in values.values())
    ):
        raise DomainError("bad_seen", N_("Dit formulier is niet compleet. Open de organisatie opnieuw."), status=422)
    return values


def changed_since(seen: dict[str, str], organisation: Organisation) -> list[tuple[str, str, str]]:
    """What someone changed since the form was filled: (field, as the form was filled, as it is now)."""
    now = form_values(organisation)
    return [(name, seen[name], now[name]) for name in FORM_FIELDS if seen[name] != now[name]]


def where_it_went(db: Session, *, workspace_id: int, seen: dict[str, str] | None) -> Organisation | None:
    """The organisation of the workspace that now has a name one had when its edit form was filled (a merge makes
    the names of the one merged away the other's); None without the form's names, or where none has them now."""
    names = [seen["name"], seen["short_name"], *seen["aliases"].splitlines()] if seen else []
    for name in names:
        found = find_organisation(db, workspace_id=workspace_id, name=name)
        if found is not None:
            return found
    return None


def save_organisation(
    db: Tx,
    *,
    workspace_id: int,
    fields: OrganisationFields,
    organisation_id: int | None = None,
    seen: dict[str, str] | None = None,
) -> Organisation:
    """Add an organisation, or change one (which confirms it); a rename reaches every participant and action.

    seen, what the edit form was filled from (read_seen): a change someone made since refuses the save (409).
    """
    # before the organisation's row, as a workspace merge takes its workspace before the rows it moves
    held_workspace(db, workspace_id=workspace_id)
    if organisation_id is None:
        organisation = Organisation(workspace_id=workspace_id, name=fields.name, key="")
    else:
        # locked: a save of another form filled at the same time, on another worker, waits and is then refused
        organisation = workspace_organisation(db, workspace_id=workspace_id, organisation_id=organisation_id, lock=True)
        if seen is not None and changed_since(seen, organisation):
            raise DomainError(
                "organisation_changed_meanwhile",
                N_(
                    "Intussen heeft iemand anders deze organisatie gewijzigd: hieronder staat wat. Wat jij typte "
                    "staat nog in het formulier. Kijk het na en sla opnieuw op."
                ),
                status=409,
            )
    keys = _checked_keys(db, workspace_id=workspace_id, fields=fields, own_id=organisation_id)
    renamed, seen_name = organisation.name != fields.name, organisation.name
    organisation.name, organisation.key = fields.name, keys[0]
    organisation.short_name, organisation.aliases = fields.short_name, list(fields.aliases)
    organisation.sector, organisation.confirmed = fields.sector, True
    try:
        with db.begin_nested():
            db.add(organisation)
            db.flush()
            # a statement, not the unit of work: it would insert the new names before deleting the old ones
            db.execute(delete(OrganisationName).where(col(OrganisationName.organisation_id) == organisation.id))
            db.add_all(
                OrganisationName(workspace_id=workspace_id, key=key, organisation_id=organisation.id or 0)
                for key in keys
            )
            db.flush()
    except IntegrityError as exc:
        # another worker registered one of these names a moment ago
        raise DomainError(
            "name_taken_now",
            N_("Een van deze namen is net door iemand anders gebruikt. Probeer het opnieuw."),
            status=409,
        ) from exc
    if renamed and organisation_id is not None:
        _show_name(db, organisation)
        renaming = Renaming(organisation.id or 0, seen_name, organisation.id or 0, organisation.name)
        announce_renamed(db, renamed=[renaming], showing=_showing(db, [renaming.was_id]))
    return organisation


def _show_name(db: Session, organisation: Organisation) -> None:
    """Write the organisation's name where participants, actions and partners show it."""
    db.execute(
        update(Participant)
        .where(col(Participant.organisation_id) == organisation.id)
        .values(organisation=organisation.name)
    )
    db.execute(
        update(Action).where(col(Action.owner_organisation_id) == organisation.id).values(**owned_by(organisation.name))
    )
    db.execute(
        update(ActionPartner)
        .where(col(ActionPartner.organisation_id) == organisation.id)
        .values(organisation=organisation.name)
    )


def confirm_organisation(db: Tx, *, workspace_id: int, organisation_id: int) -> Organisation:
    """Mark a typed name as one the office has looked at: it leaves "Nieuw" and joining phones are offered it."""
    # before the organisation's row, as save_organisation does: a workspace merge then waits for the change and reads
    # the organisation with it, where otherwise it folded the one it read before into another and lost the change
    held_workspace(db, workspace_id=workspace_id)
    organisation = workspace_organisation(db, workspace_id=workspace_id, organisation_id=organisation_id)
    organisation.confirmed = True
    db.flush()
    return organisation


# ---- what open workshops show of a rename or a merge


@dataclass(frozen=True, slots=True)
class Renaming:
    """An organisation as the screens knew it (id and name), and as they show it now: renamed, or merged into
    another."""

    was_id: int
    was: str
    id: int
    name: str


def _showing(db: Session, organisation_ids: Sequence[int]) -> dict[int, set[int]]:
    """Per open workshop, which of these organisations its board, projector and phones show: a participant's (and
    so an answer's or a volunteer's), an action's owner or partner, or one of these in an action it looks back on."""
    named = (
        select(col(Action.id).label("action_id"), col(Action.owner_organisation_id).label("organisation_id"))
        .where(col(Action.owner_organisation_id).in_(organisation_ids))
        .union_all(
            select(col(ActionPartner.action_id), col(ActionPartner.organisation_id)).where(
                col(ActionPartner.organisation_id).in_(organisation_ids)
            ),
            select(col(Volunteer.action_id), col(Participant.organisation_id))
            .join(Participant, col(Participant.id) == col(Volunteer.participant_id))
            .where(col(Participant.organisation_id).in_(organisation_ids)),
        )
        .subquery()
    )
    pairs = union(
        select(col(Participant.workshop_id), col(Participant.organisation_id)).where(
            col(Participant.organisation_id).in_(organisation_ids)
        ),
        select(col(Action.workshop_id), named.c.organisation_id)
        .join(named, named.c.action_id == col(Action.id))
        .where(col(Action.deleted_at).is_(None)),
        select(col(ReviewItem.workshop_id), named.c.organisation_id).join(
            named, named.c.action_id == col(ReviewItem.action_id)
        ),
    ).subquery()
    showing: defaultdict[int, set[int]] = defaultdict(set)
    for workshop_id, organisation_id in db.execute(
        select(pairs.c.workshop_id, pairs.c.organisation_id)
        .join(Workshop, col(Workshop.id) == pairs.c.workshop_id)
        .where(col(Workshop.closed_at).is_(None))
    ).all():
        showing[workshop_id].add(organisation_id)
    return dict(showing)


def announce_renamed(db: Tx, *, renamed: Sequence[Renaming], showing: dict[int, set[int]]) -> None:
    """Tell each open workshop that shows one of these organisations, in one event, what its screens now call them.

    Closed workshops are left alone: nobody watches them live, and their next snapshot reads the names anew.
    """
    for workshop_id in sorted(showing):
        changed = [asdict(renaming) for renaming in renamed if renaming.was_id in showing[workshop_id]]
        if changed:
            append_event(
                db,
                workshop_id=workshop_id,
                kind=EventKind.ORGANISATION_RENAMED,
                audience=Audience.ALL,
                data={"renamed": changed},
            )


# ---- merging


@dataclass
class Merged:
    """What a merge moved (participants, actions owned, partner places) and the names that could not come along."""

    participants: int = 0
    owned: int = 0
    partnered: int = 0
    names_dropped: list[str] = field(default_factory=list)
    # the organisations merged away, and per open workshop which of them it showed: for announce_renamed
    renamed: list[Renaming] = field(default_factory=list)
    showing: dict[int, set[int]] = field(default_factory=dict)

    def add(self, other: "Merged") -> None:
        """Count another merge's figures in with these."""
        self.participants += other.participants
        self.owned += other.owned
        self.partnered += other.partnered
        self.names_dropped += other.names_dropped
        self.renamed += other.renamed
        for workshop_id, organisation_ids in other.showing.items():
            self.showing.setdefault(workshop_id, set()).update(organisation_ids)


def merge_organisation(
    db: Tx, *, workspace_id: int, organisation_id: int, into_id: int, account_id: int | None = None
) -> Merged:
    """Merge a duplicate into another organisation of the workspace: its people, actions and names go along."""
    # the workspace before any row a workspace merge moves, in that merge's own order: the two then wait for each
    # other rather than deadlock, and a workspace merged away meanwhile is refused (409) before anything is moved
    held_workspace(db, workspace_id=workspace_id)
    source = workspace_organisation(db, workspace_id=workspace_id, organisation_id=organisation_id)
    if into_id == organisation_id:
        raise DomainError("merge_into_itself", N_("Een organisatie kan niet met zichzelf samengaan."), status=422)
    target = db.get(Organisation, into_id)
    if target is None or target.workspace_id != workspace_id:
        raise DomainError(
            "merge_target_not_found", N_("De organisatie om mee samen te voegen bestaat niet."), status=404
        )
    merged = absorb(db, source=source, target=target, account_id=account_id)
    announce_renamed(db, renamed=merged.renamed, showing=merged.showing)
    return merged


def absorb(db: Tx, *, source: Organisation, target: Organisation, account_id: int | None = None) -> Merged:
    """Move everything of source to target (also from another workspace) and delete source.

    Participants, action owners and partners point to target and show its name, and so do calendar feeds; an action
    that would then name target twice (owner and partner, or two partners) keeps it once; changed actions get a
    history entry. Source's names become target's aliases, except a name another organisation of target's workspace
    already has.
    """
    source_id, target_id = source.id or 0, target.id or 0
    # read before the rows move: afterwards they name target
    renaming = Renaming(source_id, source.name, target_id, target.name)
    merged = Merged(renamed=[renaming], showing=_showing(db, [source_id]))
    merged.participants = changed_rows(
        db,
        update(Participant)
        .where(col(Participant.organisation_id) == source_id)
        .values(organisation_id=target_id, organisation=target.name),
    )
    _move_actions(db, source_id=source_id, target=target, account_id=account_id, merged=merged)
    _move_names(db, source=source, target=target, merged=merged)
    # a calendar subscribed to the duplicate goes on with the organisation; left pointing at source's id, it would
    # show whichever organisation SQLite gives that id next
    db.execute(
        update(CalendarFeed).where(col(CalendarFeed.organisation_id) == source_id).values(organisation_id=target_id)
    )
    target.own = target.own or source.own
    target.confirmed = target.confirmed or source.confirmed
    target.sector = target.sector or source.sector
    db.delete(source)
    db.flush()
    return merged


def _move_actions(db: Tx, *, source_id: int, target: Organisation, account_id: int | None, merged: Merged) -> None:
    """Point source's actions and partner places to target, keeping target once per action, with history."""
    target_id = target.id or 0
    partnered = select(col(ActionPartner.action_id)).where(col(ActionPartner.organisation_id) == source_id)
    actions = (
        db.execute(
            select(Action)
            .where(or_(col(Action.owner_organisation_id) == source_id, col(Action.id).in_(partnered)))
            .order_by(col(Action.id))
        )
        .scalars()
        .all()
    )
    partners: defaultdict[int, list[tuple[int | None, int | None, str]]] = defaultdict(list)
    for row_id, action_id, organisation_id, name in db.execute(
        select(
            col(ActionPartner.id),
            col(ActionPartner.action_id),
            col(ActionPartner.organisation_id),
            col(ActionPartner.organisation),
        )
        .where(col(ActionPartner.action_id).in_([action.id for action in actions]))
        .order_by(col(ActionPartner.id))
    ).all():
        partners[action_id].append((row_id, organisation_id, name))
    dropped: list[int | None] = []
    moved: list[int | None] = []
    now = utcnow()
    for action in actions:
        owner_before = action.owner_organisation
        if action.owner_organisation_id == source_id:
            action.owner_organisation_id, action.owner_organisation = target_id, target.name
            merged.owned += 1
        names_before = [name for _, _, name in partners[action.id or 0]]
        names_after = []
        has_target = action.owner_organisation_id == target_id
        for row_id, organisation_id, name in partners[action.id or 0]:
            if organisation_id in (source_id, target_id):
                if has_target:
                    dropped.append(row_id)
                    continue
                has_target = True
                if organisation_id == source_id:
                    moved.append(row_id)
                    merged.partnered += 1
                    name = target.name
            names_after.append(name)
        changes = [("owner", owner_before, action.owner_organisation), ("partners", names_before, names_after)]
        for kind, before, after in changes:
            if before != after:
                db.add(
                    ActionChange(
                        action_id=action.id or 0,
                        kind=kind,
                        before=_history_text(before),
                        after=_history_text(after),
                        account_id=account_id,
                        at=now,
                    )
                )
                action.updated_at = now
    # the doubles go first: the unique (action, name) would refuse a moved partner next to its double
    db.execute(delete(ActionPartner).where(col(ActionPartner.id).in_(dropped)))
    db.execute(
        update(ActionPartner)
        .where(col(ActionPartner.id).in_(moved))
        .values(organisation_id=target_id, organisation=target.name)
    )
    db.flush()


def _history_text(value: str | Sequence[str]) -> str:
    """A field's value as an action's history writes it (partners joined by commas, as actions.save_action does)."""
    return (value if isinstance(value, str) else ", ".join(value))[:2000]


def _move_names(db: Tx, *, source: Organisation, target: Organisation, merged: Merged) -> None:
    """Source's names become target's aliases; one that another organisation of target's workspace has is dropped."""
    source_keys = list(dict.fromkeys(organisation_key(name) for name in all_names(source)))
    owners = dict(
        db.execute(
            select(col(OrganisationName.key), col(OrganisationName.organisation_id)).where(
                col(OrganisationName.workspace_id) == target.workspace_id,
                col(OrganisationName.key).in_(source_keys),
            )
        ).all()
    )
    target_keys = {organisation_key(name) for name in all_names(target)}
    taken_elsewhere = {key for key, owner in owners.items() if owner not in (source.id, target.id)}
    aliases = list(target.aliases)
    for name in all_names(source):
        key = organisation_key(name)
        if key in taken_elsewhere:
            merged.names_dropped.append(name)
        elif key and key not in target_keys:
            aliases.append(name)
            target_keys.add(key)
    target.aliases = aliases
    db.execute(
        delete(OrganisationName).where(
            col(OrganisationName.organisation_id) == source.id,
            or_(
                col(OrganisationName.key).in_(taken_elsewhere),
                # a name target already has (another workspace's spelling of the same organisation)
                col(OrganisationName.key).in_([key for key, owner in owners.items() if owner == target.id]),
            ),
        )
    )
    db.execute(
        update(OrganisationName)
        .where(col(OrganisationName.organisation_id) == source.id)
        .values(organisation_id=target.id, workspace_id=target.workspace_id)
    )


def move_organisations(db: Tx, *, from_workspace_id: int, to_workspace_id: int, account_id: int | None) -> Merged:
    """Bring one workspace's organisations into another: one with a name the other knows merges with it.

    The others move as they are, less any alias the other workspace already gives to a different organisation.
    """
    merged = Merged()
    moving = (
        db.execute(
            select(Organisation)
            .where(col(Organisation.workspace_id) == from_workspace_id)
            .order_by(col(Organisation.id))
        )
        .scalars()
        .all()
    )
    for organisation in moving:
        target = find_organisation(db, workspace_id=to_workspace_id, name=organisation.name)
        if target is not None:
            merged.add(absorb(db, source=organisation, target=target, account_id=account_id))
            continue
        keys = {organisation_key(name): name for name in all_names(organisation)}
        taken = set(
            db.execute(
                select(col(OrganisationName.key)).where(
                    col(OrganisationName.workspace_id) == to_workspace_id, col(OrganisationName.key).in_(keys)
                )
            ).scalars()
        )
        if taken:
            merged.names_dropped += [keys[key] for key in taken]
            organisation.aliases = [alias for alias in organisation.aliases if organisation_key(alias) not in taken]
            if organisation_key(organisation.short_name) in taken:
                organisation.short_name = ""
            db.execute(
                delete(OrganisationName).where(
                    col(OrganisationName.organisation_id) == organisation.id, col(OrganisationName.key).in_(taken)
                )
            )
        db.execute(
            update(OrganisationName)
            .where(col(OrganisationName.organisation_id) == organisation.id)
            .values(workspace_id=to_workspace_id)
        )
        organisation.workspace_id = to_workspace_id
        db.flush()
    announce_renamed(db, renamed=merged.renamed, showing=merged.showing)
    return merged
