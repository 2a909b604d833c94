"""All table models."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import annotated_types
from pydantic import Strict
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Computed,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    or_,
)
from sqlmodel import Field, SQLModel, col

# the largest id an id column holds: SQLite's integers reach 2**63 - 1, PostgreSQL's INTEGER only this
MAX_ROW_ID = 2**31 - 1
# an id as a route, a form or a message gives it: a larger one is no row, and refused as bad input (422) before a
# driver would overflow on it
RowId = Annotated[int, annotated_types.Interval(ge=1, le=MAX_ROW_ID)]
# an id in a JSON body: a JSON number only, so true or "15" is refused as bad input rather than read as 1 or 15
BodyRowId = Annotated[RowId, Strict()]

# the seven "spanningsclusters": kinds of tension an obstacle can stem from
TENSIONS = (
    "besluitvorming",
    "besturing",
    "beleid",
    "operationele processen",
    "informatie/beeldvorming",
    "machtskwesties",
    "financiering",
)
THEMES = ("wonen", "werken", "leren", "veiligheid", "gezondheid")
ACTION_STATUSES = ("open", "bezig", "klaar", "vastgelopen")
# what a workspace member may do: manage the workspace, run workshops and edit actions, or only read
ROLES = ("beheerder", "facilitator", "meekijker")
# what an ActionChange records: agreed, a field changed, withdrawn, or a report (in a review or between sessions);
# "contact_forgotten": the contact taken off at their request (app/privacy), without their name; "contact_expired": by
# the retention pass, without it too; "due_proposed": an owner proposed a new due date (DueProposal), "due_declined":
# the programme office declined it (one it takes over is a "due_on" change with via ON_PROPOSAL)
CHANGE_KINDS = (
    "created",
    "title",
    "description",
    "owner",
    "partners",
    "contact",
    "contact_forgotten",
    "contact_expired",
    "due_on",
    "status",
    "deleted",
    "review",
    "due_proposed",
    "due_declined",
)
# where a report between sessions came from: the participant's own page, or a button in a reminder mail
REPORT_CHANNELS = ("mijn_afspraken", "mail")
# the via of a due date the programme office moved on its owner's proposal (DueProposal), and of its refusal
ON_PROPOSAL = "proposal"
# the mails Doorbraak sends (app/notify): a participant's own link, reminders before a due date and before a
# follow-up meeting, the question after a due date passed, a member's weekly digest, and the confirmation that lifts
# an unsubscribe
MAIL_KINDS = (
    "confirm_address",
    "link",
    "action_reminder",
    "overdue_reminder",
    "followup_reminder",
    "digest",
    "resubscribe",
)
# an outbox message waits, is being sent (claimed until its next_attempt_at), was accepted, or was given up on
MAIL_STATES = ("pending", "sending", "sent", "failed")
# what a calendar feed holds: one participant's actions, one organisation's, or the whole workspace's
FEED_SCOPES = ("participant", "organisation", "workspace")
# the parts of society a partner organisation belongs to
SECTORS = ("wonen", "zorg en welzijn", "onderwijs", "veiligheid", "gemeente", "bewoners", "ondernemers", "overig")
# sessions happen in the Netherlands: times people type and read are on this clock
LOCAL_TIMEZONE = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored moment as aware UTC (SQLite hands them back without a timezone)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_day(moment: datetime) -> date:
    """The day a stored moment falls on in the Netherlands, whatever clock the server keeps."""
    return as_utc(moment).astimezone(LOCAL_TIMEZONE).date()


def day_start(day: date) -> datetime:
    """The moment a day begins on the Dutch clock, in UTC."""
    if day == date.min:
        # it began in the year 0 in UTC, which Python has not: a filter "since 0001-01-01" means since ever
        return datetime.min.replace(tzinfo=UTC)
    return datetime.combine(day, time(), tzinfo=LOCAL_TIMEZONE).astimezone(UTC)


def local_today() -> date:
    """Today on the Dutch clock: what every page, export, mail and pass counts "overdue" and "this week" from."""
    return local_day(utcnow())


@dataclass(frozen=True)
class Member:
    """Who is signed in, in which workspace, with which role: what every route of the programme office checks."""

    account_id: int
    workspace_id: int
    role: str
    session_id: int = 0

    @property
    def can_run(self) -> bool:
        """Creates and runs workshops and edits actions (a beheerder or facilitator, not a meekijker)."""
        return self.role in ("beheerder", "facilitator")

    @property
    def can_manage(self) -> bool:
        """Manages members, organisations and the workspace's settings."""
        return self.role == "beheerder"


class Workspace(SQLModel, table=True):
    """A programme office (or any team) running sessions for one network; nothing is shared between workspaces."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    # the workspace's own jargon list ({word: plainer wording}); None means the shipped list
    jargon: dict[str, str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # words that hold an answer back for approval; None means the shipped starter list
    blocked_words: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # months after a workshop that its participants' names and contact details are kept (see app/privacy)
    retention_months: int = 18
    # the keywords that suggest a pile's spanningscluster and theme; None means the shipped list
    tag_keywords: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)


class Facilitator(SQLModel, table=True):
    """A person's account: signs in, and is a member of one or more workspaces."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow)


class Membership(SQLModel, table=True):
    """An account's place in a workspace, with its role (see ROLES)."""

    __table_args__ = (UniqueConstraint("workspace_id", "account_id", name="uq_membership"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="facilitator.id", index=True)
    role: str = Field(max_length=20)
    # the weekly digest of the workspace by mail (overdue, moved, stuck, new), and in which language
    digest: bool = False
    digest_lang: str = Field(default="nl", max_length=8)
    # when a digest's unsubscribe link switched the digest off: only then may such a link switch it on again (the
    # member's own choice in their settings clears it)
    digest_stopped_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LoginSession(SQLModel, table=True):
    """A signed-in browser: its cookie holds the token, the database its hash; deleting the row signs it out."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    account_id: int = Field(foreign_key="facilitator.id", index=True)
    # the workspace this browser works in; a member of several switches between them
    workspace_id: int = Field(foreign_key="workspace.id")
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


# a sign-in ends after a day unused, and a week after it began however often it is used
SESSION_IDLE = timedelta(hours=24)
SESSION_LONGEST = timedelta(days=7)


def session_ended(now: datetime) -> ColumnElement[bool]:
    """Which sign-ins have ended by now: app/auth.py lets none of them in, the retention run deletes them."""
    return or_(
        col(LoginSession.last_seen_at) <= now - SESSION_IDLE, col(LoginSession.created_at) <= now - SESSION_LONGEST
    )


class Invitation(SQLModel, table=True):
    """A single-use link that makes whoever opens it (and signs in or up) a member with a role."""

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(max_length=20)
    # who it is meant for, as the beheerder wrote it: shown on the members page, not checked
    note: str = Field(default="", max_length=120)
    created_by: int = Field(foreign_key="facilitator.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by: int | None = Field(default=None, foreign_key="facilitator.id")
    # the name of the workspace it was made for, once a merge moved it into another: its link says so
    merged_from: str | None = Field(default=None, max_length=120)


class Organisation(SQLModel, table=True):
    """A partner organisation of a workspace's network; participants and actions point to it."""

    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_organisation_key"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    name: str = Field(max_length=120)
    # the name folded for matching (see organisation_key)
    key: str = Field(max_length=120)
    short_name: str = Field(default="", max_length=40)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sector: str | None = Field(default=None, max_length=40)
    # False for a name a participant typed that the programme office has not looked at yet
    confirmed: bool = False
    # the programme office's own organisation: the register tells apart what partners own from what it owns itself
    own: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class OrganisationName(SQLModel, table=True):
    """Every folded name, short name and alias an organisation is found by, unique within a workspace."""

    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_organisation_name"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    key: str = Field(max_length=120)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)


class Workshop(SQLModel, table=True):
    """One live session: an opgave, its steps and the room that answers."""

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True, index=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    # the member who created it
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True)
    title: str = Field(max_length=200)
    opgave: str = Field(max_length=2000)
    held_on: date
    format_key: str = Field(max_length=64)
    steps: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    step_index: int = 0
    join_code: str = Field(max_length=12, unique=True, index=True)
    # the projector link (/p/…) is derived from the id and this salt with the secret key (app/workshops/service.py)
    projector_salt: str = Field(max_length=32)
    # the SHA-256 of a projector link handed out before links were derived (migration 0010): it keeps working
    legacy_projector_digest: str | None = Field(default=None, max_length=64, unique=True, index=True)
    allow_anonymous: bool = False
    starts_at: time | None = None
    # dots each phone may place in a vote step
    dots: int = 3
    # limit the contribution round to the obstacles in focus clusters
    focus_only: bool = False
    followup_at: datetime | None = None
    followup_place: str = Field(default="", max_length=200)
    # raised each time the follow-up moves: a subscribed calendar replaces its copy of the meeting (app/notify)
    followup_sequence: int = 0
    # the earlier workshop whose open actions a follow-up took into review (see ReviewItem), if it was chosen that way
    review_of: int | None = Field(default=None, foreign_key="workshop.id")
    # the bullshitbingo card with the room's jargon is on the projector
    bingo: bool = False
    # answers go to the board first and reach the projector only once approved ("eerst naar de regie")
    moderated: bool = False
    # the countdown: running until timer_ends_at, or paused with timer_left_ms to go; both None when stopped
    timer_ends_at: datetime | None = None
    timer_left_ms: int | None = None
    timer_total_ms: int | None = None
    # what the projector shows besides the wall: one answer alone, and "wall" or "cloud" (the word cloud)
    spotlight_answer_id: int | None = None
    projector_view: str = Field(default="wall", max_length=8)
    # the board holds the projector's turning pages on the one it shows, until the next step
    projector_paused: bool = False
    # the newest event's sequence number; bumped in the same transaction as each change
    last_seq: int = 0
    closed_at: datetime | None = None
    # when the retention period removed its participants' names and contact details
    anonymised_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


# a participant's name_key without a name: above every key of a name, whose bytes are UTF-8 (never 0xff)
NAMELESS = b"\xff"


class Participant(SQLModel, table=True):
    """A phone in the room, known by the token in its cookie."""

    # the participants page pages a workshop's people by name in the database
    __table_args__ = (Index("ix_participant_workshop_name_key", "workshop_id", "name_key"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=80)
    # the name as every list sorts names, as bytes that sort so (organisations.name_key); NAMELESS, after every
    # name, for no name (anonymous, or forgotten: it holds nothing of the name that was). Made with search_text from
    # the name and address by organisations.participant_named wherever they are written (the ORM's flush included)
    name_key: bytes = Field(default=NAMELESS, sa_column=Column(LargeBinary, nullable=False, default=NAMELESS))
    # the search words of the name and the address, each after a space (organisations.search_text): the participants
    # page finds a typed word's start in the database; empty without either
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    organisation: str = Field(max_length=120)
    # the network's organisation this name stands for; None for anonymous participants
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    anonymous: bool = False
    # the personal link (/m/…) opens "Mijn afspraken", also later and from another device; it is derived from the id
    # and this salt with the secret key (app/workshops/service.py)
    link_salt: str = Field(max_length=32)
    # the SHA-256 of a personal link handed out before links were derived (migration 0010): it keeps working
    legacy_link_digest: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # given by the participant for their link and reminders (optional, with consent), and the mails' language
    email: str | None = Field(default=None, max_length=254)
    email_lang: str = Field(default="nl", max_length=8)
    # when the address's owner opened the confirmation link mailed to it; until then (and again once the address
    # changes) the address is only typed, by anyone who joined, and makes them no action's contact
    email_confirmed_at: datetime | None = None
    # when the programme office said the participant does not belong to the organisation they named: anyone who
    # joined may name any organisation, so the office takes a false claim back; it stays shown, as taken back
    organisation_revoked_at: datetime | None = None
    joined_at: datetime = Field(default_factory=utcnow)


class Answer(SQLModel, table=True):
    """One answer a participant sent in an open-text step."""

    __table_args__ = (UniqueConstraint("workshop_id", "client_id", name="uq_answer_client_id"),)

    id: int | None = Field(default=None, primary_key=True)
    # looked up by workshop through uq_answer_client_id, which leads with it
    workshop_id: int = Field(foreign_key="workshop.id")
    participant_id: int = Field(foreign_key="participant.id", index=True)
    step_id: str = Field(max_length=64)
    text: str = Field(max_length=2000)
    # the answer of an earlier step this one belongs to (a contribution's obstacle)
    links_to: int | None = Field(default=None, foreign_key="answer.id")
    client_id: str = Field(max_length=36)
    # the theme (see THEMES) the participant put it under, in steps that ask for one
    theme: str | None = Field(default=None, max_length=40)
    hidden: bool = False
    # held back for the facilitator's approval; a held answer is hidden too, so every visible list leaves it out
    held: bool = False
    # the group an obstacle was sorted into; None until the facilitator clusters it
    cluster_id: int | None = Field(default=None, foreign_key="cluster.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Response(SQLModel, table=True):
    """A participant's grade or choice in one step; sending again replaces it."""

    __table_args__ = (UniqueConstraint("workshop_id", "step_id", "participant_id", name="uq_response"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    step_id: str = Field(max_length=64)
    # a grade step: [grade]; a choice step: the chosen option numbers, in order
    values: list[int] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Cluster(SQLModel, table=True):
    """Obstacles the facilitator grouped together; the room votes on clusters."""

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    name: str = Field(max_length=200)
    tension: str | None = Field(default=None, max_length=40)
    theme: str | None = Field(default=None, max_length=40)
    focus: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Vote(SQLModel, table=True):
    """One dot a participant placed on a cluster."""

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    cluster_id: int = Field(foreign_key="cluster.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class Action(SQLModel, table=True):
    """An agreed action: what, who owns it, by when."""

    # the register filters a workspace's actions by due date and by last change, and sorts by them and by owner
    __table_args__ = (
        Index("ix_action_workspace_due_on", "workspace_id", "due_on"),
        Index("ix_action_workspace_updated_at", "workspace_id", "updated_at"),
        Index("ix_action_workspace_owner_key", "workspace_id", "owner_key", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    # the workshop's workspace, kept here so the register filters without a join (its indexes lead with it)
    workspace_id: int = Field(foreign_key="workspace.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    owner_organisation: str = Field(max_length=120)
    owner_organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    # the owner's name as the register sorts it, as bytes that sort so (organisations.owner_key), made from the name
    # by the ORM's flush or a statement's organisations.owned_by; no column default, so a statement that writes an
    # action without it is refused, not misplaced (a new object's empty one is the flush's to fill)
    owner_key: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    contact_person: str = Field(default="", max_length=120)
    # the contact's address: reminders go there, and a participant who gave it may report on the action
    contact_email: str | None = Field(default=None, max_length=254)
    # the language of the contact's mails (a contact who never joined has no page to choose one on)
    contact_lang: str = Field(default="nl", max_length=8)
    due_on: date | None = None
    obstacle_id: int | None = Field(default=None, foreign_key="answer.id")
    contribution_id: int | None = Field(default=None, foreign_key="answer.id")
    status: str = Field(default="open", max_length=20)
    deleted_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # the last change of any kind (see ActionChange)
    updated_at: datetime = Field(default_factory=utcnow)


class ActionPartner(SQLModel, table=True):
    """Another organisation that shares an action with its owner."""

    __table_args__ = (UniqueConstraint("action_id", "organisation", name="uq_action_partner"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    organisation: str = Field(max_length=120)
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)


class Volunteer(SQLModel, table=True):
    """A participant who raised a hand to join an action's project team."""

    __table_args__ = (UniqueConstraint("action_id", "participant_id", name="uq_volunteer"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class ActionUpdate(SQLModel, table=True):
    """What a follow-up session heard about an earlier action: its status then and now, and what happened."""

    __table_args__ = (UniqueConstraint("workshop_id", "action_id", name="uq_action_update"),)

    id: int | None = Field(default=None, primary_key=True)
    # the follow-up workshop the update was given in
    workshop_id: int = Field(foreign_key="workshop.id", index=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    status_before: str = Field(max_length=20)
    status: str = Field(max_length=20)
    note: str = Field(default="", max_length=500)
    updated_at: datetime = Field(default_factory=utcnow)


class ActionChange(SQLModel, table=True):
    """One entry of an action's history: what changed (see CHANGE_KINDS), from what to what, by whom, when."""

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    kind: str = Field(max_length=20)
    before: str = Field(default="", max_length=2000)
    after: str = Field(default="", max_length=2000)
    note: str = Field(default="", max_length=500)
    # a member's change, or a participant's report; both None for the system (a merge, a migration)
    account_id: int | None = Field(default=None, foreign_key="facilitator.id")
    participant_id: int | None = Field(default=None, foreign_key="participant.id")
    # the session it was said in, for a change made in a workshop or a follow-up's review
    workshop_id: int | None = Field(default=None, foreign_key="workshop.id")
    # where a report between sessions came from (see REPORT_CHANNELS); empty for the board and a session
    via: str = Field(default="", max_length=20)
    at: datetime = Field(default_factory=utcnow)


class DueProposal(SQLModel, table=True):
    """A new due date an action's owner (or contact) proposes, open until the programme office takes it over or
    declines it; a newer one replaces it. What was proposed and decided stays in the action's history."""

    __table_args__ = (UniqueConstraint("action_id", name="uq_due_proposal_action"),)

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id")
    proposed_on: date
    reason: str = Field(default="", max_length=280)
    # who proposed: a participant, or (None) the action's contact from a reminder's link
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    # where it came from (REPORT_CHANNELS)
    via: str = Field(default="", max_length=20)
    proposed_at: datetime = Field(default_factory=utcnow)


class ReviewItem(SQLModel, table=True):
    """An earlier action a follow-up session reviews: from one earlier workshop or any selection of the register."""

    __table_args__ = (UniqueConstraint("workshop_id", "action_id", name="uq_review_item"),)

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: int = Field(foreign_key="workshop.id")
    action_id: int = Field(foreign_key="action.id", index=True)
    added_at: datetime = Field(default_factory=utcnow)


class SavedFormat(SQLModel, table=True):
    """A workspace's own session format, stored as the same data a format file holds."""

    __table_args__ = (UniqueConstraint("workspace_id", "key", name="uq_saved_format_key"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    # the member who saved it last
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True)
    key: str = Field(max_length=40)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """The event log: every change to a workshop, numbered per workshop."""

    __table_args__ = (UniqueConstraint("workshop_id", "seq", name="uq_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    # looked up by workshop through uq_event_seq, which leads with it
    workshop_id: int = Field(foreign_key="workshop.id")
    seq: int
    kind: str = Field(max_length=40)
    # "all": phones too; "staff": facilitator board and projector only; "board": the facilitator only; "own": the
    # phones of the participant the payload names
    audience: str = Field(max_length=8)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A mail to send, written in the same transaction as what causes it; the sender claims, sends and records it."""

    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    kind: str = Field(max_length=20)
    # one message per (kind, recipient, action or meeting, date): a second scheduler pass adds nothing
    dedupe_key: str = Field(max_length=200, unique=True)
    recipient: str = Field(max_length=254)
    # the participant it was written for (their link, a reminder with their page) or who asked for it (a
    # confirmation), for their data download; None for a digest, a bare contact, or once their data went
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    lang: str = Field(default="nl", max_length=8)
    subject: str = Field(max_length=300)
    # emptied once sent: they hold the recipient's personal links
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_html: str = Field(default="", sa_column=Column(Text, nullable=False))
    # an iCalendar attachment (the follow-up meeting), or empty
    attachment: str = Field(default="", sa_column=Column(Text, nullable=False))
    # the one-click unsubscribe address (RFC 8058)
    unsubscribe_url: str = Field(default="", max_length=500)
    # what a reminder reminds of, as it stood when written: the action (and the start of its due day on the Dutch
    # clock) or the follow-up's workshop (and the meeting's start); a reminder whose fact no longer holds is not sent.
    # No foreign keys: a workshop's removal deletes its actions, and a reminder of a missing row is simply not sent
    action_id: int | None = None
    workshop_id: int | None = None
    about_at: datetime | None = None
    # set before the first attempt and kept: a message sent again after a crash has the same one
    message_id: str = Field(max_length=200, unique=True)
    status: str = Field(default="pending", max_length=12)
    attempts: int = 0
    # when it is due: its next attempt, or, while claimed, when the claim lapses and another sender may take it
    next_attempt_at: datetime = Field(default_factory=utcnow)
    first_attempt_at: datetime | None = None
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class MailToken(SQLModel, table=True):
    """A link in a mail that works without signing in: unsubscribe, or report an action's status; kept hashed."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    # "unsubscribe", "status", "resubscribe" (the confirmation an unsubscribed address asked for: single-use), or
    # "confirm" (a participant's new address, confirmed by its owner: single-use)
    purpose: str = Field(max_length=12)
    workspace_id: int = Field(foreign_key="workspace.id")
    # the recipient's address as the mail was sent to it
    address: str = Field(max_length=254)
    # a status link: the action, and the participant it was sent to (None for the action's contact); a resubscribe
    # link: the participant who asked for it
    action_id: int | None = Field(default=None, foreign_key="action.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    # an unsubscribe link in a digest: the member whose digest it stops
    account_id: int | None = Field(default=None, foreign_key="facilitator.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class MailSuppression(SQLModel, table=True):
    """An address that unsubscribed from a workspace's reminders: no more are written for it."""

    __table_args__ = (UniqueConstraint("workspace_id", "address", name="uq_mail_suppression"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    # folded (see notify.addresses.address_key)
    address: str = Field(max_length=254)
    created_at: datetime = Field(default_factory=utcnow)


class UnmadeMail(SQLModel, table=True):
    """A reminder or digest the latest reminder pass could not make: its kind, workspace and row, and what raised
    where (never the row's text). Every worker's outbox page reads it; each pass replaces them all."""

    __table_args__ = (UniqueConstraint("kind", "row_id", name="uq_unmade_mail"),)

    id: int | None = Field(default=None, primary_key=True)
    # "action", "meeting" (its row a workshop) or "digest" (its row the workspace)
    kind: str = Field(max_length=12)
    # no foreign key: the next pass replaces every row, so a merge or a deletion needs not know of this table
    workspace_id: int = Field(index=True)
    row_id: int
    error: str = Field(max_length=200)
    noted_at: datetime = Field(default_factory=utcnow)


class CalendarFeed(SQLModel, table=True):
    """A subscribable calendar (webcal) of a participant's, an organisation's or a workspace's dates; revocable."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    scope: str = Field(max_length=12)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    # no foreign key, so no migration: merging organisations points the feed to the one it merges into
    organisation_id: int | None = None
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    # the member who made a workspace's or organisation's feed
    created_by: int | None = Field(default=None, foreign_key="facilitator.id")
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None
    # the language of the page that made the link: a calendar program asks for the feed without saying one
    lang: str = Field(default="nl", max_length=8)


def table_of(model: type[SQLModel]) -> Table:
    """A model's table, for the plain statements a burst or a join storm runs (app/store/prepared.py)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


# each status's place in the register's status order, the database's own: a generated column (virtual on
# SQLite, stored on PostgreSQL, as migration 0027 makes it) that no write can forget, indexed beside the workspace,
# so the register sorted by status pages along ix_action_workspace_status_rank as it does along the due date instead
# of sorting every matching action. Left out of the ORM mapping: nothing reads it into an Action, and a column the
# database rewrites on every update would otherwise be expired and read again after each flush.
STATUS_RANK = "CASE status " + " ".join(f"WHEN '{s}' THEN {rank}" for rank, s in enumerate(ACTION_STATUSES)) + " END"
ACTION_STATUS_RANK = Column("status_rank", Integer, Computed(STATUS_RANK))
table_of(Action).append_column(ACTION_STATUS_RANK)
Index("ix_action_workspace_status_rank", table_of(Action).c.workspace_id, ACTION_STATUS_RANK, table_of(Action).c.id)
