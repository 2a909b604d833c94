"""The mails themselves: a participant's link, reminders before a due date and a follow-up, the question after a due
date passed, a member's digest.

Each is a plain-text and an HTML part from templates/mail/, in the recipient's language, with a one-click
unsubscribe link and (a reminder of an action) buttons that report its status, each a token kept hashed.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, select_autoescape

from app import i18n
from app.addresses import address_key
from app.exports import wording
from app.i18n import N_, gettext
from app.models import day_start, local_day
from app.notify import outbox
from app.notify.outbox import Draft

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# a reminder's buttons keep working this long after the due date; an unsubscribe link a year
STATUS_LINK_AFTER_DUE = timedelta(days=30)
UNSUBSCRIBE_LINK_FOR = timedelta(days=365)
# an unsubscribe link switches back on what it switched off for a week ("by mistake"): a mail may be forwarded, and
# its link works a year; later a digest's member signs in, and an address's owner says yes to a confirmation mail
BACK_BY_LINK_FOR = timedelta(days=7)
# a confirmation that lifts an unsubscribe works two days, once; an address gets at most one a day
RESUBSCRIBE_LINK_FOR = timedelta(days=2)
RESUBSCRIBE_MAIL_EVERY = timedelta(days=1)
RESUBSCRIBE_MAILS_PER_MONTH = 3
# the link that confirms a participant's new address works a week, once; the same address saved again a day later
# (the mail lost) mails a new one, and a participant has at most three sent a day, to whichever addresses: each
# mails an address anyone who joined may type
CONFIRM_LINK_FOR = timedelta(days=7)
CONFIRMATION_AGAIN_AFTER = timedelta(days=1)
CONFIRMATIONS_PER_DAY = 3
# the reminder's buttons: the statuses a report moves an action to
REPORTED_STATUSES = ("bezig", "klaar", "vastgelopen")

# a block tag takes its line with it: the plain-text part reads as typed in the template
_env = i18n.translating_environment(
    FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)
_env.globals.update(wording=wording)


@dataclass(frozen=True)
class Links:
    """Where links in mails point (DOORBRAAK_PUBLIC_URL) and the domain of Message-IDs."""

    base_url: str
    domain: str

    def url(self, path: str) -> str:
        """An absolute address on this site."""
        return self.base_url.rstrip("/") + path


@dataclass(frozen=True)
class Recipient:
    """Who a mail goes to: a participant who gave an address, an action's contact, or a member."""

    address: str
    lang: str
    name: str = ""
    participant_id: int | None = None
    # the participant's own page, for a link in the mail
    link_token: str | None = None
    account_id: int | None = None


@dataclass(frozen=True)
class ActionFacts:
    """What a reminder says about an action."""

    id: int
    workspace_id: int
    workspace_name: str
    title: str
    description: str
    owner: str
    due_on: date
    status: str
    workshop_title: str


@dataclass(frozen=True)
class MeetingFacts:
    """What a reminder says about a follow-up meeting, and its calendar file."""

    workshop_id: int
    workspace_id: int
    workspace_name: str
    workshop_title: str
    at: datetime
    place: str
    ics: str


@dataclass(frozen=True)
class DigestSection:
    """A part of a digest: its most urgent action rows, how many it has in all, and the register's query string that
    lists them all."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    register_query: str = ""

    @property
    def more(self) -> int:
        """How many the mail leaves to the register."""
        return self.total - len(self.rows)


@dataclass(frozen=True)
class DigestFacts:
    """A workspace's week: what is overdue, moved, stuck, and new."""

    workspace_id: int
    workspace_name: str
    week: str
    overdue: DigestSection = field(default_factory=DigestSection)
    moved: DigestSection = field(default_factory=DigestSection)
    stuck: DigestSection = field(default_factory=DigestSection)
    new: DigestSection = field(default_factory=DigestSection)

    def empty(self) -> bool:
        """Nothing to tell this week."""
        return not (self.overdue.total or self.moved.total or self.stuck.total or self.new.total)


def action_key(action: ActionFacts, recipient: Recipient) -> str:
    """The once-only key of a reminder of this action's due date to this address."""
    return outbox.dedupe_key(
        "action_reminder", action.id, action.due_on.isoformat(), outbox.address_hash(address_key(recipient.address))
    )


def overdue_key(action: ActionFacts, recipient: Recipient) -> str:
    """The once-only key of the question after this action's due date to this address: a new date asks anew."""
    return outbox.dedupe_key(
        "overdue_reminder", action.id, action.due_on.isoformat(), outbox.address_hash(address_key(recipient.address))
    )


def meeting_key(meeting: MeetingFacts, recipient: Recipient) -> str:
    """The once-only key of a reminder of this follow-up (on this day) to this address."""
    return outbox.dedupe_key(
        "followup_reminder",
        meeting.workshop_id,
        meeting.at.date().isoformat(),
        outbox.address_hash(address_key(recipient.address)),
    )


def digest_key(digest: DigestFacts, recipient: Recipient) -> str:
    """The once-only key of this week's digest of this workspace for this member."""
    return outbox.dedupe_key("digest", digest.workspace_id, recipient.account_id, digest.week)


def render(name: str, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML parts of templates/mail/{name}, in the current language."""
    text = _env.get_template(f"mail/{name}.txt").render(**context)
    html = _env.get_template(f"mail/{name}.html").render(**context)
    return text.strip() + "\n", html


def _unsubscribe(links: Links, *, workspace_id: int, recipient: Recipient, now: datetime) -> tuple[str, dict[str, Any]]:
    token, row = outbox.new_token(
        purpose="unsubscribe",
        workspace_id=workspace_id,
        address=recipient.address,
        participant_id=recipient.participant_id,
        account_id=recipient.account_id,
        expires_at=now + UNSUBSCRIBE_LINK_FOR,
    )
    return links.url(f"/afmelden/{token}"), row


def confirm_mail(
    links: Links, *, recipient: Recipient, workspace_id: int, workspace_name: str, workshop_title: str, now: datetime
) -> Draft:
    """The mail to an address a participant gave: only the link that confirms it, never their personal link (the
    address may be mistyped, and its inbox a stranger's).

    Each is a mail of its own (its key holds the confirmation's token): the address given again, or again after
    another, needs a new confirmation; save_address bounds how often that mails. It names only what the programme
    office wrote (workspace, workshop); the confirmation page names who typed it."""
    assert recipient.participant_id is not None
    unsubscribe_url, token = _unsubscribe(links, workspace_id=workspace_id, recipient=recipient, now=now)
    confirm, confirm_row = outbox.new_token(
        purpose="confirm",
        workspace_id=workspace_id,
        address=recipient.address,
        participant_id=recipient.participant_id,
        expires_at=now + CONFIRM_LINK_FOR,
    )
    with i18n.in_locale(recipient.lang):
        subject = gettext(N_("Is dit jouw e-mailadres? ({title})")).format(title=workshop_title)
        text, html = render(
            "confirm_address",
            workspace_name=workspace_name,
            workshop_title=workshop_title,
            confirm_url=links.url(f"/e-mail-bevestigen/{confirm}"),
            unsubscribe_url=unsubscribe_url,
        )
    return Draft(
        kind="confirm_address",
        dedupe_key=outbox.dedupe_key(
            "confirm_address",
            recipient.participant_id,
            outbox.address_hash(address_key(recipient.address)),
            confirm_row["token_hash"][:16],
        ),
        recipient=recipient.address,
        participant_id=recipient.participant_id,
        lang=recipient.lang,
        subject=subject,
        body_text=text,
        body_html=html,
        unsubscribe_url=unsubscribe_url,
        tokens=(token, confirm_row),
    )


def link_mail(
    links: Links, *, recipient: Recipient, workspace_id: int, workspace_name: str, workshop_title: str, now: datetime
) -> Draft:
    """The participant's own link, sent once they confirmed their address from the browser they gave it in: once per
    participant and address."""
    assert recipient.participant_id is not None and recipient.link_token is not None
    unsubscribe_url, token = _unsubscribe(links, workspace_id=workspace_id, recipient=recipient, now=now)
    with i18n.in_locale(recipient.lang):
        subject = gettext(N_("Je persoonlijke link voor {title}")).format(title=workshop_title)
        text, html = render(
            "link",
            recipient=recipient,
            workspace_name=workspace_name,
            workshop_title=workshop_title,
            page_url=links.url(f"/m/{recipient.link_token}"),
            unsubscribe_url=unsubscribe_url,
        )
    return Draft(
        kind="link",
        dedupe_key=outbox.dedupe_key(
            "link", recipient.participant_id, outbox.address_hash(address_key(recipient.address))
        ),
        recipient=recipient.address,
        participant_id=recipient.participant_id,
        lang=recipient.lang,
        subject=subject,
        body_text=text,
        body_html=html,
        unsubscribe_url=unsubscribe_url,
        tokens=(token,),
    )


def action_reminder(links: Links, *, recipient: Recipient, action: ActionFacts, now: datetime) -> Draft:
    """A reminder before an action's due date (or on the day itself: "today"), with a button for each status it can be
    reported at."""
    on_the_day = action.due_on == local_day(now)
    with i18n.in_locale(recipient.lang):
        if on_the_day:
            subject = gettext(N_("Herinnering: “{title}” staat voor vandaag")).format(title=action.title)
        else:
            subject = gettext(N_("Herinnering: “{title}” staat op {day}")).format(
                title=action.title, day=wording.day(action.due_on)
            )
    return _action_mail(
        links,
        kind="action_reminder",
        key=action_key(action, recipient),
        subject=subject,
        recipient=recipient,
        action=action,
        now=now,
        on_the_day=on_the_day,
    )


def overdue_reminder(links: Links, *, recipient: Recipient, action: ActionFacts, now: datetime) -> Draft:
    """The one question a few days after an action's date passed with the action not done: how did it go, with the
    reminder's buttons."""
    with i18n.in_locale(recipient.lang):
        subject = gettext(N_("Hoe is het gegaan met “{title}”?")).format(title=action.title)
    return _action_mail(
        links,
        kind="overdue_reminder",
        key=overdue_key(action, recipient),
        subject=subject,
        recipient=recipient,
        action=action,
        now=now,
    )


def _action_mail(
    links: Links,
    *,
    kind: str,
    key: str,
    subject: str,
    recipient: Recipient,
    action: ActionFacts,
    now: datetime,
    **context: Any,
) -> Draft:
    """A mail about an action from templates/mail/{kind}, with its status buttons: the token they share works a month
    past the due date (or from now, for a date already further past)."""
    unsubscribe_url, unsubscribe = _unsubscribe(links, workspace_id=action.workspace_id, recipient=recipient, now=now)
    expires = datetime.combine(action.due_on, datetime.min.time(), tzinfo=now.tzinfo) + STATUS_LINK_AFTER_DUE
    token, status_row = outbox.new_token(
        purpose="status",
        workspace_id=action.workspace_id,
        address=recipient.address,
        action_id=action.id,
        participant_id=recipient.participant_id,
        expires_at=max(expires, now + STATUS_LINK_AFTER_DUE),
    )
    buttons = [(status, links.url(f"/status/{token}?status={status}")) for status in REPORTED_STATUSES]
    with i18n.in_locale(recipient.lang):
        text, html = render(
            kind,
            recipient=recipient,
            action=action,
            buttons=buttons,
            workspace_name=action.workspace_name,
            page_url=links.url(f"/m/{recipient.link_token}") if recipient.link_token else None,
            unsubscribe_url=unsubscribe_url,
            **context,
        )
    return Draft(
        kind=kind,
        dedupe_key=key,
        recipient=recipient.address,
        participant_id=recipient.participant_id,
        lang=recipient.lang,
        subject=subject,
        body_text=text,
        body_html=html,
        unsubscribe_url=unsubscribe_url,
        tokens=(unsubscribe, status_row),
        # checked again as it is sent: a mail of a date that no longer holds, or of an action done, does not go
        action_id=action.id,
        about_at=day_start(action.due_on),
    )


def followup_reminder(links: Links, *, recipient: Recipient, meeting: MeetingFacts, now: datetime) -> Draft:
    """A reminder before the follow-up meeting, with the meeting as a calendar file."""
    unsubscribe_url, unsubscribe = _unsubscribe(links, workspace_id=meeting.workspace_id, recipient=recipient, now=now)
    with i18n.in_locale(recipient.lang):
        subject = gettext(N_("Herinnering: vervolgafspraak “{title}” op {day}")).format(
            title=meeting.workshop_title, day=wording.day(meeting.at.date())
        )
        text, html = render(
            "followup_reminder",
            recipient=recipient,
            meeting=meeting,
            workspace_name=meeting.workspace_name,
            page_url=links.url(f"/m/{recipient.link_token}") if recipient.link_token else None,
            unsubscribe_url=unsubscribe_url,
        )
    return Draft(
        kind="followup_reminder",
        dedupe_key=meeting_key(meeting, recipient),
        recipient=recipient.address,
        participant_id=recipient.participant_id,
        lang=recipient.lang,
        subject=subject,
        body_text=text,
        body_html=html,
        attachment=meeting.ics,
        unsubscribe_url=unsubscribe_url,
        tokens=(unsubscribe,),
        workshop_id=meeting.workshop_id,
        about_at=meeting.at,
    )


def digest_mail(links: Links, *, recipient: Recipient, digest: DigestFacts, now: datetime) -> Draft:
    """A member's weekly digest of the workspace."""
    unsubscribe_url, unsubscribe = _unsubscribe(links, workspace_id=digest.workspace_id, recipient=recipient, now=now)
    with i18n.in_locale(recipient.lang):
        subject = gettext(N_("Weekoverzicht {workspace}")).format(workspace=digest.workspace_name)
        text, html = render(
            "digest",
            recipient=recipient,
            digest=digest,
            workspace_name=digest.workspace_name,
            register_url=links.url("/f/register"),
            unsubscribe_url=unsubscribe_url,
        )
    return Draft(
        kind="digest",
        dedupe_key=digest_key(digest, recipient),
        recipient=recipient.address,
        participant_id=recipient.participant_id,
        lang=recipient.lang,
        subject=subject,
        body_text=text,
        body_html=html,
        unsubscribe_url=unsubscribe_url,
        tokens=(unsubscribe,),
    )


def resubscribe_key_prefix(address: str) -> str:
    """How the once-only keys of confirmation mails to this address begin (the day follows)."""
    return outbox.dedupe_key("resubscribe", outbox.address_hash(address_key(address)), "")


def resubscribe_mail(
    links: Links,
    *,
    address: str,
    lang: str,
    participant_id: int | None,
    workspace_id: int,
    workspace_name: str,
    workshop_title: str,
    now: datetime,
) -> Draft:
    """The one mail to an address that unsubscribed, asked for on Mijn afspraken of a workshop (workshop_title) or,
    without one, from an earlier mail's unsubscribe page: its link lifts the unsubscribe.

    It names only what the programme office wrote (workspace, workshop), never what the asker typed: no one sends
    their words to someone else's inbox through it. No unsubscribe link: the address is unsubscribed already."""
    token, row = outbox.new_token(
        purpose="resubscribe",
        workspace_id=workspace_id,
        address=address,
        participant_id=participant_id,
        expires_at=now + RESUBSCRIBE_LINK_FOR,
    )
    confirm_url = links.url(f"/weer-aanmelden/{token}")
    with i18n.in_locale(lang):
        subject = gettext(N_("Wil je weer e-mail van {workspace}?")).format(workspace=workspace_name)
        text, html = render(
            "resubscribe",
            workspace_name=workspace_name,
            workshop_title=workshop_title,
            confirm_url=confirm_url,
            unsubscribe_url="",
        )
    return Draft(
        kind="resubscribe",
        # one a day per address, whichever workspace asks; the service counts the month's by the key's prefix
        dedupe_key=resubscribe_key_prefix(address) + now.date().isoformat(),
        recipient=address,
        participant_id=participant_id,
        lang=lang,
        subject=subject,
        body_text=text,
        body_html=html,
        tokens=(row,),
    )
