"""Workshops: finding one and checking who owns it, what every screen knows of it, and participants joining."""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Text, and_, bindparam, cast, func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import security
from app import steps as step_types
from app.errors import DomainError, UnknownLink, read_only
from app.i18n import N_, gettext
from app.models import LOCAL_TIMEZONE, Member, Participant, Workshop, table_of, utcnow
from app.organisations import service as organisations
from app.store.events import Audience, EventKind, Tx, append_event
from app.store.prepared import Prepared, Row, detached

ANONYMOUS_ORGANISATION = "Anoniem"
_PARTICIPANT = table_of(Participant)
_WORKSHOP = table_of(Workshop)
# a join storm runs these once per phone: plain statements on the driver's cursor (app/store/prepared.py), and the
# workshop's three fields a join needs rather than the workshop with its steps decoded from JSON
_JOINABLE = Prepared(
    select(_WORKSHOP.c.closed_at, _WORKSHOP.c.allow_anonymous, _WORKSHOP.c.workspace_id).where(
        _WORKSHOP.c.id == bindparam("workshop")
    )
)
_ADD_PARTICIPANT = Prepared(
    insert(_PARTICIPANT).returning(_PARTICIPANT.c.id),
    [
        "workshop_id",
        "token_hash",
        "name",
        "email",
        "name_key",
        "search_text",
        "organisation",
        "organisation_id",
        "anonymous",
        "link_salt",
        "email_lang",
        "joined_at",
        "organisation_revoked_at",
    ],
)
# everyone who joined the workspace's workshops under this name, with the organisation they named (the name's key
# is the start of ix_participant_workshop_name_key after the workshop)
_NAMED = (
    select(_PARTICIPANT.c.organisation_id, _PARTICIPANT.c.organisation, _PARTICIPANT.c.name, _PARTICIPANT.c.id)
    .join(_WORKSHOP, _WORKSHOP.c.id == _PARTICIPANT.c.workshop_id)
    .where(_WORKSHOP.c.workspace_id == bindparam("workspace"), _PARTICIPANT.c.name_key == bindparam("name_key"))
)
_NAMED_IN_WORKSPACE = Prepared(_NAMED.where(_PARTICIPANT.c.anonymous.is_(False)))
# of those, the ones whose claim the office took back: what a join looks for
_TAKEN_BACK = Prepared(_NAMED.where(_PARTICIPANT.c.organisation_revoked_at.is_not(None)))
# a Python-side default, which a plain insert does not apply
_DEFAULT_MAIL_LANGUAGE = Participant.model_fields["email_lang"].default
_ROOM_SIZE = Prepared(
    select(func.count()).select_from(_PARTICIPANT).where(_PARTICIPANT.c.workshop_id == bindparam("workshop"))
)
PARTICIPANT_COOKIE = "dbk_p_{code}"
# what a derived token is for: a personal link never opens a projector, nor the other way round
LINK_TOKEN_KIND = "personal link"
PROJECTOR_TOKEN_KIND = "projector link"
# the tokens of before migration 0010 were 32 characters; anything much longer is no such token
LEGACY_TOKEN_MAX_LENGTH = 64
T = TypeVar("T")


def owned_workshop(db: Session, *, workshop_id: int, member: Member) -> Workshop:
    """A workshop of the member's workspace; any other is reported as not found."""
    workshop = db.get(Workshop, workshop_id)
    if workshop is None or workshop.workspace_id != member.workspace_id:
        raise DomainError("workshop_not_found", N_("Deze workshop bestaat niet."), status=404)
    return workshop


def changed_workshop(db: Session, *, workshop_id: int, member: Member) -> Workshop:
    """A workshop of the member's workspace that they are about to change: a meekijker is refused."""
    workshop = owned_workshop(db, workshop_id=workshop_id, member=member)
    if not member.can_run:
        raise read_only()
    return workshop


def owned_job(fn: Callable[..., T], *, workshop_id: int, member: Member) -> Callable[[Tx], T]:
    """A writer job that first checks the member may change this workshop, then calls fn(db, workshop=...)."""

    def job(db: Tx) -> T:
        return fn(db, workshop=changed_workshop(db, workshop_id=workshop_id, member=member))

    return job


def workshop_by_code(db: Session, code: str) -> Workshop | None:
    """The workshop with this join code, if any."""
    query = select(Workshop).where(col(Workshop.join_code) == security.normalise_join_code(code))
    return db.execute(query).scalar_one_or_none()


def projector_token(workshop: Workshop, *, secret: str) -> str:
    """The token of the workshop's projector link (/p/…), derived each time it is shown."""
    return security.derived_token(
        secret=secret, kind=PROJECTOR_TOKEN_KIND, row_id=workshop.id or 0, salt=workshop.projector_salt
    )


def workshop_by_projector_token(db: Session, token: str, *, secret: str) -> Workshop | None:
    """The workshop a projector link belongs to, if any (also a link handed out before links were derived)."""
    row_id = security.derived_token_row(token)
    if row_id is None:
        digest = _legacy_digest(token)
        query = select(Workshop).where(col(Workshop.legacy_projector_digest) == digest)
        return None if digest is None else db.execute(query).scalar_one_or_none()
    workshop = db.get(Workshop, row_id)
    if workshop is None or not security.derived_token_matches(
        token, secret=secret, kind=PROJECTOR_TOKEN_KIND, row_id=row_id, salt=workshop.projector_salt
    ):
        return None
    return workshop


def _legacy_digest(token: str) -> str | None:
    """The digest a link from before migration 0010 is kept as; None for text that cannot be such a link."""
    if not token or len(token) > LEGACY_TOKEN_MAX_LENGTH:
        return None
    return security.token_digest(token)


def current_step(workshop: Workshop) -> dict[str, Any]:
    """The step the workshop is in."""
    return workshop.steps[workshop.step_index]


def workshop_view(workshop: Workshop) -> dict[str, Any]:
    """What every live client knows about a workshop."""
    return {
        "id": workshop.public_id,
        "title": workshop.title,
        "opgave": workshop.opgave,
        "held_on": workshop.held_on.isoformat(),
        "code": workshop.join_code,
        "allow_anonymous": workshop.allow_anonymous,
        "step_index": workshop.step_index,
        # completed with their types' defaults: the clients know no default of their own
        "steps": [step_types.with_defaults(step) for step in workshop.steps],
        "closed": workshop.closed_at is not None,
        "dots": workshop.dots,
        "focus_only": workshop.focus_only,
        "followup": followup_view(workshop),
        "review_of": workshop.review_of,
        "moderated": workshop.moderated,
    }


def followup_view(workshop: Workshop) -> dict[str, Any] | None:
    """The follow-up meeting, if set."""
    if workshop.followup_at is None:
        return None
    local = workshop.followup_at.astimezone(LOCAL_TIMEZONE).replace(tzinfo=None)
    return {"at": local.isoformat(timespec="minutes"), "place": workshop.followup_place}


def set_moderated(db: Tx, *, workshop: Workshop, on: bool) -> dict[str, Any]:
    """Turn "eerst naar de regie" on or off; answers already waiting keep waiting until approved."""
    if workshop.moderated != on:
        workshop.moderated = on
        db.flush()
        # the board's switch follows; phones need not know, and their answers are acknowledged the same way
        append_event(
            db,
            workshop_id=workshop.id or 0,
            kind=EventKind.WORKSHOP_CHANGED,
            audience=Audience.STAFF,
            data={"moderated": on},
        )
    return {"moderated": workshop.moderated}


def join_workshop(db: Tx, *, workshop_id: int, name: str, organisation: str, anonymous: bool) -> str:
    """Add a participant; returns the token their phone keeps in a cookie."""
    workshop = _JOINABLE.one(db, {"workshop": workshop_id})
    if workshop is None or workshop[0] is not None:
        raise DomainError("closed_code", N_("Deze workshop is afgelopen. Meedoen kan niet meer."), status=410)
    _, allow_anonymous, workspace_id = workshop
    name, organisation = security.clean_line(name), security.clean_line(organisation)
    organisation_id = None
    if anonymous:
        if not allow_anonymous:
            raise DomainError("anonymous_not_allowed", N_("In deze workshop doe je mee met je naam."), status=422)
        name, organisation = "", ANONYMOUS_ORGANISATION
    else:
        if not name:
            raise DomainError("name_missing", N_("Vul je naam in."), status=422)
        if not organisation:
            raise DomainError("organisation_missing", N_("Vul je organisatie in."), status=422)
        if len(name) > 80 or len(organisation) > 120:
            raise DomainError("name_too_long", N_("Naam of organisatie is te lang."), status=422)
        found = organisations.organisation_named(db, workspace_id=workspace_id, name=organisation)
        if found is not None:
            # the network's spelling of the name, whatever capitals or dots this phone typed
            organisation_id, organisation = found
    token = security.new_token()
    named = organisations.participant_named(name, None)
    revoked = None
    by_name = (name, named["name_key"])
    if not anonymous and organisation and _taken_back_before(db, workspace_id, by_name, organisation, organisation_id):
        # the same person joining a follow-up: what the office said of their claim still holds (it can give it back)
        revoked = utcnow()
    row = {
        "workshop_id": workshop_id,
        "token_hash": security.token_digest(token),
        **named,
        "organisation": organisation,
        "organisation_id": organisation_id,
        "anonymous": anonymous,
        "link_salt": security.new_salt(),
        "email_lang": _DEFAULT_MAIL_LANGUAGE,
        "joined_at": utcnow(),
        "organisation_revoked_at": revoked,
    }
    # every refusal above comes before the first write, so the writer runs a join without a savepoint of its own
    # (Database.write): should this insert fail (a token collision needs 2^192 luck), the writer redoes the batch
    # with savepoints, and this join with a new token
    added = _ADD_PARTICIPANT.one(db, row)
    assert added is not None
    count = _ROOM_SIZE.one(db, {"workshop": workshop_id})
    append_event(
        db,
        workshop_id=workshop_id,
        kind=EventKind.PARTICIPANT_JOINED,
        audience=Audience.STAFF,
        data={"id": added[0], "organisation": organisation, "count": count[0] if count else 0},
    )
    return token


def _taken_back_before(
    db: Session, workspace_id: int, named: tuple[str, bytes], organisation: str, organisation_id: int | None
) -> bool:
    """Whether the office took this organisation back from a participant of this name in the workspace."""
    name, name_key = named
    found = _TAKEN_BACK.all(db, {"workspace": workspace_id, "name_key": name_key})
    same = _same_claim(name, organisation, organisation_id)
    return any(same(earlier_name, earlier, earlier_id) for earlier_id, earlier, earlier_name, _ in found)


def same_claims(db: Session, *, workspace_id: int, participant: Participant) -> list[int]:
    """The participants of the workspace (this one among them) who are this person naming this organisation again:
    the office's word on the claim holds for each of them."""
    if not participant.name:
        # a name forgotten or removed by the retention pass is nobody's: it names no one else forgotten
        return [participant.id or 0]
    found = _NAMED_IN_WORKSPACE.all(db, {"workspace": workspace_id, "name_key": participant.name_key})
    same = _same_claim(participant.name, participant.organisation, participant.organisation_id)
    return [
        row_id for organisation_id, organisation, name, row_id in found if same(name, organisation, organisation_id)
    ]


def _same_claim(name: str, organisation: str, organisation_id: int | None) -> Callable[[str, str, int | None], bool]:
    """Whether another row (its name, organisation and network organisation) is this name's claim to this
    organisation: by the network's organisation where both have one, else by the name as typed."""
    key = organisations.organisation_key(organisation)
    # a name of signs alone ("🙂", "?") has the name key of no words, which every such name shares: the name decides
    wordless = not organisations.search_words(name)

    def same(other_name: str, other: str, other_id: int | None) -> bool:
        if wordless and other_name != name:
            return False
        if other_id is not None and organisation_id is not None:
            return other_id == organisation_id
        return organisations.organisation_key(other) == key

    return same


def participant_cookie(join_code: str) -> str:
    """The name of the cookie that remembers a phone in the workshop of this (stored) join code."""
    return PARTICIPANT_COOKIE.format(code=join_code)


def find_phone(db: Session, *, code: str, cookies: Mapping[str, str]) -> tuple[Workshop | None, Participant | None]:
    """The workshop a join code opens, and the participant this browser's cookie names in it (if any)."""
    workshop = workshop_by_code(db, code)
    if workshop is None:
        return None, None
    token = cookies.get(participant_cookie(workshop.join_code))
    return workshop, participant_by_token(db, workshop_id=workshop.id or 0, token=token)


class JoinCard(NamedTuple):
    """What a join page shows of a workshop, and what it needs to list the organisations: one statement's worth."""

    id: int
    workspace_id: int
    join_code: str
    title: str
    opgave: str
    allow_anonymous: bool
    closed: bool


_JOIN_CARD_COLUMNS = (
    _WORKSHOP.c.id,
    _WORKSHOP.c.workspace_id,
    _WORKSHOP.c.join_code,
    _WORKSHOP.c.title,
    _WORKSHOP.c.opgave,
    _WORKSHOP.c.allow_anonymous,
    _WORKSHOP.c.closed_at,
)
_JOIN_CARD = Prepared(select(*_JOIN_CARD_COLUMNS).where(_WORKSHOP.c.join_code == bindparam("code")))


def join_card(db: Session, *, code: str) -> JoinCard | None:
    """The join page's view of the workshop a code opens, without loading the workshop; None for an unknown code."""
    found = _JOIN_CARD.one(db, {"code": security.normalise_join_code(code)})
    return _join_card(found) if found is not None else None


def _join_card(row: Row) -> JoinCard:
    workshop_id, workspace_id, join_code, title, opgave, allow_anonymous, closed_at = row
    return JoinCard(workshop_id, workspace_id, join_code, title, opgave, bool(allow_anonymous), closed_at is not None)


# the workshop's participant whose cookie token this browser holds (the token's digest is the parameter)
_THIS_PHONE = and_(_PARTICIPANT.c.workshop_id == _WORKSHOP.c.id, _PARTICIPANT.c.token_hash == bindparam("token_hash"))


def _this_phone_params(code: str, cookies: Mapping[str, str]) -> dict[str, str]:
    """The join code as stored and the digest of the token this browser's cookie holds for it: the parameters of a
    statement that finds the workshop and _THIS_PHONE."""
    join_code = security.normalise_join_code(code)
    token = cookies.get(participant_cookie(join_code))
    return {"code": join_code, "token_hash": security.token_digest(token) if token else ""}


class Phone(NamedTuple):
    """A participant as their phone's page names them."""

    id: int
    name: str
    organisation: str
    # the office took back their claim to the organisation they named
    organisation_taken_back: bool = False


def phone_of(participant: Participant) -> Phone:
    """A loaded participant as their phone's page names them."""
    return Phone(
        participant.id or 0,
        participant.name,
        participant.organisation,
        participant.organisation_revoked_at is not None,
    )


class PhoneCard(NamedTuple):
    """What a phone's page shows of its workshop, and who this browser's cookie says it is (None: not joined)."""

    workshop: JoinCard
    public_id: str
    step_index: int
    step: step_types.Step
    focus_only: bool
    phone: Phone | None


_PHONE_CARD = Prepared(
    select(
        *_JOIN_CARD_COLUMNS,
        _WORKSHOP.c.public_id,
        _WORKSHOP.c.step_index,
        cast(_WORKSHOP.c.steps, Text),
        _WORKSHOP.c.focus_only,
        _PARTICIPANT.c.id,
        _PARTICIPANT.c.name,
        _PARTICIPANT.c.organisation,
        _PARTICIPANT.c.organisation_revoked_at.is_not(None),
    )
    .select_from(_WORKSHOP.outerjoin(_PARTICIPANT, _THIS_PHONE))
    .where(_WORKSHOP.c.join_code == bindparam("code"))
)


def phone_card(db: Session, *, code: str, cookies: Mapping[str, str]) -> PhoneCard | None:
    """A phone's page's view of the workshop a code opens and of this browser's participant, in one statement and
    without loading either; None for an unknown code."""
    found = _PHONE_CARD.one(db, _this_phone_params(code, cookies))
    if found is None:
        return None
    public_id, step_index, steps, focus_only, participant_id, name, organisation, taken_back = found[
        len(_JOIN_CARD_COLUMNS) :
    ]
    return PhoneCard(
        _join_card(found[: len(_JOIN_CARD_COLUMNS)]),
        public_id,
        step_index,
        step_types.read_stored(steps)[step_index],
        bool(focus_only),
        Phone(participant_id, name, organisation, bool(taken_back)) if participant_id is not None else None,
    )


def link_token(participant: Participant, *, secret: str) -> str:
    """The token of the participant's personal link (/m/…), derived each time it is shown."""
    return security.derived_token(
        secret=secret, kind=LINK_TOKEN_KIND, row_id=participant.id or 0, salt=participant.link_salt
    )


_PHONE_KEYS = Prepared(
    select(_WORKSHOP.c.id, _WORKSHOP.c.public_id, _PARTICIPANT.c.id)
    .select_from(_WORKSHOP.outerjoin(_PARTICIPANT, _THIS_PHONE))
    .where(_WORKSHOP.c.join_code == bindparam("code"))
)


def phone_keys(db: Session, *, code: str, cookies: Mapping[str, str]) -> tuple[int, str, int | None] | None:
    """What a phone's websocket keeps (the workshop's id and public id, the participant's id if this browser joined),
    read in one statement and without loading the workshop; None for an unknown code."""
    found = _PHONE_KEYS.one(db, _this_phone_params(code, cookies))
    return (found[0], found[1], found[2]) if found is not None else None


_WORKSHOP_AND_PARTICIPANT = Prepared(
    select(*_WORKSHOP.c, *_PARTICIPANT.c)
    .select_from(
        _WORKSHOP.outerjoin(
            _PARTICIPANT,
            and_(_PARTICIPANT.c.workshop_id == _WORKSHOP.c.id, _PARTICIPANT.c.id == bindparam("participant")),
        )
    )
    .where(_WORKSHOP.c.id == bindparam("workshop")),
    converted=True,
)
# where each table's columns lie in its row, by name
_WORKSHOP_KEYS = tuple(_WORKSHOP.c.keys())
_PARTICIPANT_KEYS = tuple(_PARTICIPANT.c.keys())


def public_id_exists(db: Session, *, public_id: str) -> bool:
    """Whether a workshop has this public id (one a live client says it had may have been deleted since)."""
    return db.execute(select(col(Workshop.id)).where(col(Workshop.public_id) == public_id)).first() is not None


def workshop_and_participant(
    db: Session, *, workshop_id: int, participant_id: int | None
) -> tuple[Workshop, Participant | None]:
    """A workshop and one of its participants (None: no participant asked for, or not of this workshop), in one
    prepared statement and in no session: for a snapshot, which every websocket that opens reads."""
    row = _WORKSHOP_AND_PARTICIPANT.one(db, {"workshop": workshop_id, "participant": participant_id})
    if row is None:
        raise LookupError(f"no workshop {workshop_id}")
    split = len(_WORKSHOP_KEYS)
    workshop = detached(Workshop, zip(_WORKSHOP_KEYS, row[:split], strict=True))
    if row[split] is None:
        return workshop, None
    return workshop, detached(Participant, zip(_PARTICIPANT_KEYS, row[split:], strict=True))


def me_parts(name: str, organisation: str, *, taken_back: bool = False) -> list[str]:
    """Who a participant is, as their phone's header and Mijn afspraken say it: name and organisation (marked as not
    confirmed once the office took the claim back), or "Anoniem" without a name."""
    shown = name or gettext(N_("Anoniem"))
    if not (name and organisation):
        return [shown]
    if taken_back:
        # still shown as typed, so they know which one is meant, but never as theirs without saying so; isolated, as
        # a right-to-left name beside the words around it would read as one jumbled run
        organisation = gettext(N_("niet bevestigd: {organisation}")).format(organisation=f"\u2068{organisation}\u2069")
    return [shown, organisation]


def participant_by_link(db: Session, link_token: str, *, secret: str) -> tuple[Participant, Workshop]:
    """The participant a personal link ("Mijn afspraken") belongs to, and their workshop; 404 for an unknown link
    (a link handed out before links were derived is known by its digest)."""
    row_id = security.derived_token_row(link_token)
    participant: Participant | None = None
    if row_id is None:
        digest = _legacy_digest(link_token)
        query = select(Participant).where(col(Participant.legacy_link_digest) == digest)
        participant = None if digest is None else db.execute(query).scalar_one_or_none()
    else:
        participant = db.get(Participant, row_id)
        if participant is not None and not security.derived_token_matches(
            link_token, secret=secret, kind=LINK_TOKEN_KIND, row_id=row_id, salt=participant.link_salt
        ):
            participant = None
    if participant is None:
        raise UnknownLink("link_unknown", N_("Deze persoonlijke link kennen we niet."))
    workshop = db.get(Workshop, participant.workshop_id)
    assert workshop is not None
    return participant, workshop


def participant_by_token(db: Session, *, workshop_id: int, token: str | None) -> Participant | None:
    """The participant a cookie token belongs to, within this workshop only."""
    if not token:
        return None
    query = select(Participant).where(
        col(Participant.token_hash) == security.token_digest(token),
        col(Participant.workshop_id) == workshop_id,
    )
    return db.execute(query).scalar_one_or_none()


def room(db: Session, *, workshop_id: int) -> dict[str, Any]:
    """Who is in the room: the count and the organisations with how many of each."""
    rows = db.execute(
        select(col(Participant.organisation), func.count())
        .where(col(Participant.workshop_id) == workshop_id)
        .group_by(col(Participant.organisation))
        .order_by(col(Participant.organisation))
    ).all()
    return {"count": sum(n for _, n in rows), "organisations": {org: n for org, n in rows}}
