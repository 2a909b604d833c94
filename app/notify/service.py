"""What the routes of Mijn afspraken and of links in mails do: an address given, a report, unsubscribing, a feed."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from app import addresses, i18n
from app.actions import proposals, reporting, review
from app.errors import DomainError, UnknownLink
from app.i18n import N_
from app.models import (
    Action,
    MailSuppression,
    MailToken,
    Membership,
    OutboxMessage,
    Participant,
    Workshop,
    Workspace,
    as_utc,
    utcnow,
)
from app.notify import feeds, mails, outbox
from app.notify.mails import (
    BACK_BY_LINK_FOR,
    CONFIRMATION_AGAIN_AFTER,
    CONFIRMATIONS_PER_DAY,
    RESUBSCRIBE_MAIL_EVERY,
    RESUBSCRIBE_MAILS_PER_MONTH,
    Links,
    Recipient,
)
from app.security import derived_token, derived_token_matches, token_digest
from app.store.events import Tx
from app.workshops import service as workshops


def _suppression_of(workspace_id: int, address: str) -> ColumnElement[bool]:
    """Which row says that the address unsubscribed from the workspace's reminders."""
    return (col(MailSuppression.workspace_id) == workspace_id) & (
        col(MailSuppression.address) == addresses.address_key(address)
    )


def is_unsubscribed(db: Session, *, workspace_id: int, address: str) -> bool:
    """Whether an address unsubscribed from this workspace's reminders."""
    return unsubscribed_at(db, workspace_id=workspace_id, address=address) is not None


def unsubscribed_at(db: Session, *, workspace_id: int, address: str) -> datetime | None:
    """When an address unsubscribed from this workspace's reminders; None if it did not."""
    found = select(col(MailSuppression.created_at)).where(_suppression_of(workspace_id, address))
    moment = db.execute(found).scalar_one_or_none()
    return as_utc(moment) if moment else None


def _recent(stopped: datetime | None) -> bool:
    """Whether an unsubscribe link may switch back on what a link switched off at this moment (BACK_BY_LINK_FOR)."""
    return stopped is not None and as_utc(stopped) > utcnow() - BACK_BY_LINK_FOR


@dataclass(frozen=True)
class AddressSaved:
    """What saving an address did: "removed", "kept" (confirmed, or the same language only), "mailed" (a confirmation
    went out) or "waiting" (one went out lately and still works); and the proof for the browser that typed it."""

    state: str
    proof: str | None = None


TYPIST_KIND = "address_typist"


def typist_proof(participant: Participant, address: str, *, secret: str) -> str:
    """What the browser that gave this address keeps (a cookie): confirming from it shows and mails the personal link,
    which a stranger who owns a mistyped address, confirming from their own browser, never gets."""
    salt = f"{participant.link_salt}|{addresses.address_key(address)}"
    return derived_token(secret=secret, kind=TYPIST_KIND, row_id=participant.id or 0, salt=salt)


def _is_typist(participant: Participant, proof: str, *, secret: str) -> bool:
    if not proof or participant.email is None:
        return False
    salt = f"{participant.link_salt}|{addresses.address_key(participant.email)}"
    return derived_token_matches(proof, secret=secret, kind=TYPIST_KIND, row_id=participant.id or 0, salt=salt)


def save_address(db: Tx, *, link_token: str, email: str, lang: str, links: Links, secret: str) -> AddressSaved:
    """Keep (or, empty, remove) a participant's address; a new address, or one still unconfirmed, gets a mail with
    only the link that confirms it (CONFIRMATION_AGAIN_AFTER apart, CONFIRMATIONS_PER_DAY a participant).

    An address that unsubscribed from the workspace is refused (409): anyone who joined may type any address, so only
    its owner takes an unsubscribe back (resubscribe, from a mail's link), and only its owner's confirmation makes it
    count for the reporting rule. The secret key checks the link and derives the typist's proof.
    """
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    # held, and read as it is now: a confirmation of the old address committed since the read above would otherwise
    # stay set on the new one (PostgreSQL), and one under way waits for this change and then finds the address changed
    db.refresh(participant, with_for_update={"key_share": True})
    if lang not in i18n.available_locales():
        raise DomainError("bad_language", N_("Kies Nederlands of Engels voor je e-mails."), status=422)
    if not email.strip():
        participant.email, participant.email_confirmed_at = None, None
        _drop_confirmations(db, participant_id=participant.id)
        return AddressSaved("removed")
    address = addresses.checked_address(email)
    if is_unsubscribed(db, workspace_id=workshop.workspace_id, address=address):
        message = N_(
            "Dit adres heeft gevraagd om geen e-mail meer van deze werkruimte, dus we sturen er niets heen. Is het "
            "jouw adres? Meld je dan weer aan met de afmeldlink onderaan een eerdere e-mail van ons, of vraag "
            "hieronder een bevestigingsmail."
        )
        raise DomainError("address_unsubscribed", message, status=409)
    new = participant.email is None or addresses.address_key(participant.email) != addresses.address_key(address)
    proof = typist_proof(participant, address, secret=secret)
    if not new and participant.email_confirmed_at is not None:
        participant.email_lang = lang
        return AddressSaved("kept", proof)
    if not new and _confirmation_on_its_way(db, participant.id):
        # the mail may be slow, or in a spam folder: saving again a minute later mails no second one
        participant.email_lang = lang
        return AddressSaved("waiting", proof)
    if _confirmations_today(db, participant.id) >= CONFIRMATIONS_PER_DAY:
        # each confirmation mails an address typed by anyone; the address stays as it was
        raise DomainError(
            "too_many_confirmations",
            N_(
                "Je liet vandaag al {limit} bevestigingsmails sturen. Kijk of er een in je map met ongewenste e-mail "
                "staat, of probeer het morgen opnieuw."
            ),
            status=429,
            limit=CONFIRMATIONS_PER_DAY,
        )
    participant.email, participant.email_lang = address, lang
    # a new address: the owner of the old one confirmed that one, not this
    participant.email_confirmed_at = None
    db.flush()
    # only the newest mail's link confirms: an older one may have gone to another address
    _drop_confirmations(db, participant_id=participant.id)
    workspace = db.get(Workspace, workshop.workspace_id)
    recipient = Recipient(address=address, lang=lang, name=participant.name, participant_id=participant.id)
    draft = mails.confirm_mail(
        links,
        recipient=recipient,
        workspace_id=workshop.workspace_id,
        workspace_name=workspace.name if workspace else "",
        workshop_title=workshop.title,
        now=utcnow(),
    )
    # in the same transaction as the address: both are kept, or neither
    outbox.queue(db, workspace_id=workshop.workspace_id, drafts=[draft], domain=links.domain)
    return AddressSaved("mailed", proof)


def _confirmation_on_its_way(db: Session, participant_id: int | None) -> bool:
    """Whether the participant's address was mailed a confirmation link that still works, less than
    CONFIRMATION_AGAIN_AFTER ago: the same address saved again mails no second one until then."""
    now = utcnow()
    found = db.execute(
        select(col(MailToken.id)).where(
            col(MailToken.participant_id) == participant_id,
            col(MailToken.purpose) == "confirm",
            col(MailToken.used_at).is_(None),
            col(MailToken.expires_at) > now,
            col(MailToken.created_at) > now - CONFIRMATION_AGAIN_AFTER,
        )
    ).first()
    return found is not None


def _confirmations_today(db: Session, participant_id: int | None) -> int:
    """How many confirmation mails the participant had sent in the last day, to whichever address."""
    return db.execute(
        select(func.count())
        .select_from(OutboxMessage)
        .where(
            col(OutboxMessage.participant_id) == participant_id,
            col(OutboxMessage.kind) == "confirm_address",
            col(OutboxMessage.created_at) > utcnow() - timedelta(days=1),
        )
    ).scalar_one()


def _drop_confirmations(db: Tx, *, participant_id: int | None) -> None:
    """Void the participant's address confirmation links not used yet."""
    db.execute(
        delete(MailToken).where(
            col(MailToken.participant_id) == participant_id,
            col(MailToken.purpose) == "confirm",
            col(MailToken.used_at).is_(None),
        )
    )


def report_from_page(db: Tx, *, link_token: str, action_id: int, status: str, note: str, secret: str) -> dict[str, Any]:
    """A report from Mijn afspraken: an action of the participant's workspace that the rule lets them report on."""
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    action = db.get(Action, action_id)
    if action is None or action.workspace_id != workshop.workspace_id or action.deleted_at is not None:
        raise DomainError("action_not_found", N_("Deze afspraak bestaat niet (meer)."), status=404)
    return review.report_between_sessions(
        db, action_id=action_id, status=status, note=note, via="mijn_afspraken", participant=participant
    )


def propose_from_page(
    db: Tx, *, link_token: str, action_id: int, proposed_on: date, reason: str, today: date, secret: str
) -> None:
    """A new due date proposed from Mijn afspraken, for an action of the participant's workspace they own."""
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    action = db.get(Action, action_id)
    if action is None or action.workspace_id != workshop.workspace_id or action.deleted_at is not None:
        raise DomainError("action_not_found", N_("Deze afspraak bestaat niet (meer)."), status=404)
    proposals.propose_due_date(
        db,
        action_id=action_id,
        proposed_on=proposed_on,
        reason=reason,
        via="mijn_afspraken",
        today=today,
        participant=participant,
    )


@dataclass(frozen=True)
class StatusLink:
    """What a reminder's status button opens: the action it is about, and for whom."""

    action_id: int
    title: str
    owner: str
    status: str
    # the participant's own page, to report again later (None for an action's contact)
    link_token: str | None
    # what a proposal's allowance counts against: the participant, or the link of a contact who has no page
    rate_key: str = ""
    due_on: date | None = None
    # whether the recipient may propose a new due date: the owner's people and the contact, not a volunteer
    may_propose: bool = False


def _mail_token(db: Session, token: str, purpose: str, *, lock: bool = False, used_ok: bool = False) -> MailToken:
    """A link's token, checked: unknown (or forged) 404; expired or (a status link) used before 410.

    lock holds its row until the transaction ends (PostgreSQL): a press of a single-use link in the same instant
    on another worker then waits, and finds the link used."""
    found = select(MailToken).where(col(MailToken.token_hash) == token_digest(token), col(MailToken.purpose) == purpose)
    row = db.execute(found.with_for_update() if lock else found).scalar_one_or_none()
    if row is None:
        raise UnknownLink("mail_link_unknown", N_("Deze link kennen we niet. Kijk of hij helemaal is overgenomen."))
    if row.expires_at < utcnow():
        raise DomainError("mail_link_expired", N_("Deze link is verlopen."), status=410)
    if purpose == "status" and row.used_at is not None:
        raise DomainError(
            "mail_link_used", N_("Met deze link is al gemeld. Meld opnieuw via Mijn afspraken."), status=410
        )
    if purpose in ("resubscribe", "confirm") and row.used_at is not None and not used_ok:
        raise DomainError("mail_link_used", N_("Met deze link is al bevestigd; hij werkt één keer."), status=410)
    return row


def status_link(db: Session, *, token: str, secret: str) -> StatusLink:
    """What a status button's confirmation page shows, with the participant's own link (derived with the secret key);
    nothing changes by opening it."""
    row = _mail_token(db, token, "status")
    action = db.get(Action, row.action_id) if row.action_id else None
    if action is None or action.deleted_at is not None:
        raise DomainError("action_not_found", N_("Deze afspraak bestaat niet (meer)."), status=404)
    participant = db.get(Participant, row.participant_id) if row.participant_id else None
    return StatusLink(
        action_id=action.id or 0,
        title=action.title,
        owner=action.owner_organisation,
        status=action.status,
        link_token=workshops.link_token(participant, secret=secret) if participant else None,
        rate_key=str(participant.id) if participant else f"link-{row.id}",
        due_on=action.due_on,
        may_propose=reporting.may_propose(db, action=action, participant=participant) if participant else True,
    )


def report_by_link(db: Tx, *, token: str, status: str, note: str) -> dict[str, Any]:
    """The one POST a status button leads to: the report, by the rule, from the mail's recipient; the link is spent."""
    row = _mail_token(db, token, "status", lock=True)
    if row.action_id is None:
        raise DomainError("action_not_found", N_("Deze afspraak bestaat niet (meer)."), status=404)
    participant = db.get(Participant, row.participant_id) if row.participant_id else None
    if row.participant_id is not None and participant is None:
        raise DomainError(
            "mail_link_unknown", N_("Deze link kennen we niet. Kijk of hij helemaal is overgenomen."), status=404
        )
    view = review.report_between_sessions(
        db,
        action_id=row.action_id,
        status=status,
        note=note,
        via="mail",
        participant=participant,
        contact_address=None if participant else row.address,
    )
    row.used_at = utcnow()
    return view


def propose_by_link(db: Tx, *, token: str, proposed_on: date, reason: str, today: date) -> None:
    """A new due date proposed from a reminder's page, by the mail's recipient; the link stays usable for its report."""
    row = _mail_token(db, token, "status")
    if row.action_id is None:
        raise DomainError("action_not_found", N_("Deze afspraak bestaat niet (meer)."), status=404)
    participant = db.get(Participant, row.participant_id) if row.participant_id else None
    if row.participant_id is not None and participant is None:
        raise DomainError(
            "mail_link_unknown", N_("Deze link kennen we niet. Kijk of hij helemaal is overgenomen."), status=404
        )
    proposals.propose_due_date(
        db,
        action_id=row.action_id,
        proposed_on=proposed_on,
        reason=reason,
        via="mail",
        today=today,
        participant=participant,
        contact_address=None if participant else row.address,
    )


def _membership(db: Session, row: MailToken) -> Membership | None:
    """The membership whose digest an unsubscribe link of a digest stops."""
    return db.execute(
        select(Membership).where(
            col(Membership.account_id) == row.account_id, col(Membership.workspace_id) == row.workspace_id
        )
    ).scalar_one_or_none()


def _address_in_use(db: Session, *, workspace_id: int, address: str) -> bool:
    """Whether anyone of the workspace still has this address: a participant, or an action's contact."""
    key = addresses.address_key(address)
    given = db.execute(
        select(col(Participant.email))
        .join(Workshop, col(Workshop.id) == col(Participant.workshop_id))
        .where(col(Workshop.workspace_id) == workspace_id, col(Participant.email).is_not(None))
    ).scalars()
    contacts = db.execute(
        select(col(Action.contact_email)).where(
            col(Action.workspace_id) == workspace_id,
            col(Action.deleted_at).is_(None),
            col(Action.contact_email).is_not(None),
        )
    ).scalars()
    return any(addresses.address_key(found or "") == key for found in (*given, *contacts))


def unsubscribe_link(db: Session, *, token: str) -> dict[str, Any]:
    """What the unsubscribe page says it will stop (a workspace's reminders, or a member's digest), whether it stopped
    already, and whether the page may offer to take it back; a digest of a membership that is gone stops nothing."""
    row = _mail_token(db, token, "unsubscribe")
    workspace = db.get(Workspace, row.workspace_id)
    member = True
    if row.account_id is not None:
        membership = _membership(db, row)
        member = membership is not None
        unsubscribed = membership is not None and not membership.digest
        restorable = membership is not None and _recent(membership.digest_stopped_at)
    else:
        stopped = unsubscribed_at(db, workspace_id=row.workspace_id, address=row.address)
        unsubscribed, restorable = stopped is not None, _recent(stopped)
    return {
        "address": row.address,
        "digest": row.account_id is not None,
        "member": member,
        "workspace": workspace.name if workspace else "",
        "unsubscribed": unsubscribed,
        # a link may switch back on only what a link switched off
        "restorable": unsubscribed and restorable,
    }


def unsubscribe(db: Tx, *, token: str) -> None:
    """Stop the mails this link's mail came with: the member's digest, or every reminder to the address."""
    row = _mail_token(db, token, "unsubscribe")
    if row.account_id is not None:
        membership = _membership(db, row)
        if membership is not None and membership.digest:
            # what subscribing again may restore: the digest this link switched off, nothing switched off before
            membership.digest, membership.digest_stopped_at = False, utcnow()
    elif not is_unsubscribed(db, workspace_id=row.workspace_id, address=row.address):
        db.add(MailSuppression(workspace_id=row.workspace_id, address=addresses.address_key(row.address)))
    # what waits to be sent to this address from this workspace stays unsent too
    unclaimed = (col(OutboxMessage.status) == "pending") & (col(OutboxMessage.attempts) == 0)
    waiting = db.execute(
        select(col(OutboxMessage.id), col(OutboxMessage.recipient), col(OutboxMessage.kind)).where(
            col(OutboxMessage.workspace_id) == row.workspace_id, unclaimed
        )
    ).all()
    stopped = [
        message_id
        for message_id, recipient, kind in waiting
        if addresses.address_key(recipient) == addresses.address_key(row.address)
        and (kind == "digest") == (row.account_id is not None)
    ]
    if stopped:
        # asked again as it deletes (PostgreSQL rereads a row another worker changed since): a mail a sender
        # claimed meanwhile is on its way, and stays, so the outbox shows it and the confirmations' limit counts it
        db.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(stopped), unclaimed))
    row.used_at = row.used_at or utcnow()
    db.flush()


def participant_feed(db: Tx, *, link_token: str, secret: str, lang: str) -> str:
    """A new calendar feed of the participant's own dates (their earlier one stops), in this language; its token."""
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    return feeds.create_feed(
        db, workspace_id=workshop.workspace_id, scope="participant", participant_id=participant.id, lang=lang
    )


def set_digest(db: Tx, *, account_id: int, workspace_id: int, on: bool, lang: str) -> None:
    """A member's own choice: the workspace's weekly digest by mail, in this language, or none."""
    if lang not in i18n.available_locales():
        raise DomainError("bad_language", N_("Kies Nederlands of Engels voor je e-mails."), status=422)
    membership = db.execute(
        select(Membership).where(col(Membership.account_id) == account_id, col(Membership.workspace_id) == workspace_id)
    ).scalar_one_or_none()
    if membership is None:
        raise DomainError("not_a_member", N_("Je bent geen lid meer van deze werkruimte."), status=403)
    # the member's own choice replaces what a link stopped: no link switches it back on after this
    membership.digest, membership.digest_lang, membership.digest_stopped_at = on, lang, None


# what subscribing again did, for the page to say it truthfully
RESTORED = "restored"
NOTHING_STOPPED = "nothing_stopped"
OWN_CHOICE = "own_choice"
TOO_LATE = "too_late"
NOT_A_MEMBER = "not_a_member"
NO_ONE_HAS_IT = "no_one_has_it"
CONFIRMATION_ASKED = "confirmation_asked"


def resubscribe(db: Tx, *, token: str, lang: str, links: Links) -> str:
    """Take back what an unsubscribe link of this kind stopped, and nothing else; returns what happened.

    Only what such a link switched off in the last BACK_BY_LINK_FOR comes back: a mail may be forwarded, and its
    link works for UNSUBSCRIBE_LINK_FOR. A digest switched off longer ago (or by its member, in the settings) comes
    back when its member, signed in, says so. An address's unsubscribe of longer ago is lifted by its owner's yes to
    a confirmation mail, which the link asks for (in the page's language): a bare contact has no Mijn afspraken to
    ask from."""
    row = _mail_token(db, token, "unsubscribe")
    if row.account_id is not None:
        membership = _membership(db, row)
        if membership is None:
            return NOT_A_MEMBER
        if membership.digest:
            return NOTHING_STOPPED
        if membership.digest_stopped_at is None:
            return OWN_CHOICE
        if not _recent(membership.digest_stopped_at):
            return TOO_LATE
        membership.digest, membership.digest_stopped_at = True, None
        return RESTORED
    stopped = unsubscribed_at(db, workspace_id=row.workspace_id, address=row.address)
    if stopped is None:
        return NOTHING_STOPPED
    if not _recent(stopped):
        _mail_confirmation(
            db,
            workspace_id=row.workspace_id,
            address=row.address,
            lang=lang,
            participant_id=row.participant_id,
            workshop_title="",
            links=links,
        )
        return CONFIRMATION_ASKED
    db.execute(delete(MailSuppression).where(_suppression_of(row.workspace_id, row.address)))
    return RESTORED if _address_in_use(db, workspace_id=row.workspace_id, address=row.address) else NO_ONE_HAS_IT


def ask_to_resubscribe(db: Tx, *, link_token: str, email: str, lang: str, links: Links, secret: str) -> bool:
    """Mail an address that unsubscribed one link that lifts its unsubscribe, asked for on Mijn afspraken.

    Its owner's press on the link is the consent (double opt-in); whoever asked only learns what the refusal told
    them already, whatever happens (the caller says the same either way). Returns whether one was queued."""
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    if lang not in i18n.available_locales():
        raise DomainError("bad_language", N_("Kies Nederlands of Engels voor je e-mails."), status=422)
    address = addresses.checked_address(email)
    if not is_unsubscribed(db, workspace_id=workshop.workspace_id, address=address):
        return False
    return _mail_confirmation(
        db,
        workspace_id=workshop.workspace_id,
        address=address,
        lang=lang,
        participant_id=participant.id,
        workshop_title=workshop.title,
        links=links,
    )


def _mail_confirmation(
    db: Tx,
    *,
    workspace_id: int,
    address: str,
    lang: str,
    participant_id: int | None,
    workshop_title: str,
    links: Links,
) -> bool:
    """Queue a confirmation mail to an unsubscribed address, unless that would mail it over and over: at most one in
    RESUBSCRIBE_MAIL_EVERY and RESUBSCRIBE_MAILS_PER_MONTH in a month, whichever workspace asks. Returns whether
    one was queued."""
    key, now = addresses.address_key(address), utcnow()
    if db.get_bind().dialect.name == "postgresql":
        # two workers asked for the same address at once: the second waits and counts the first one's mail, where
        # the dedupe key's unique index would otherwise refuse it with an error
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"resubscribe:{key}"})
    # the mails of the last month (the outbox keeps them that long), found by their key, which holds the address's
    # hash: sent ones too, and those of a participant whose data went since
    sent_at = db.execute(
        select(col(OutboxMessage.created_at)).where(
            col(OutboxMessage.kind) == "resubscribe",
            col(OutboxMessage.dedupe_key).startswith(mails.resubscribe_key_prefix(address), autoescape=True),
            col(OutboxMessage.created_at) > now - outbox.KEEP,
        )
    ).scalars()
    earlier = [as_utc(moment) for moment in sent_at]
    if len(earlier) >= RESUBSCRIBE_MAILS_PER_MONTH or any(moment > now - RESUBSCRIBE_MAIL_EVERY for moment in earlier):
        return False
    workspace = db.get(Workspace, workspace_id)
    draft = mails.resubscribe_mail(
        links,
        address=address,
        lang=lang,
        participant_id=participant_id,
        workspace_id=workspace_id,
        workspace_name=workspace.name if workspace else "",
        workshop_title=workshop_title,
        now=now,
    )
    return outbox.queue(db, workspace_id=workspace_id, drafts=[draft], domain=links.domain) == 1


def resubscribe_link(db: Session, *, token: str) -> dict[str, Any]:
    """What a confirmation link's page asks: may this address have the workspace's reminders again? Changes nothing."""
    return _asked_about(db, _mail_token(db, token, "resubscribe"))


def confirm_resubscribe(db: Tx, *, token: str) -> dict[str, Any]:
    """The owner's yes: the address's unsubscribe is lifted, and the link is spent.

    The address is not kept for the participant who asked: the yes is to mail again, and whoever asked may be a
    stranger, or have mistyped their own address; their reminders, with their personal links, would come to the
    owner unasked. An asker who is the owner gives it again on Mijn afspraken, and gets their link as anyone does."""
    row = _mail_token(db, token, "resubscribe", lock=True)
    row.used_at = utcnow()
    db.execute(delete(MailSuppression).where(_suppression_of(row.workspace_id, row.address)))
    db.flush()
    return _asked_about(db, row)


def _asked_about(db: Session, row: MailToken) -> dict[str, Any]:
    """The address and workspace a confirmation link is about."""
    workspace = db.get(Workspace, row.workspace_id)
    return {"address": row.address, "workspace": workspace.name if workspace else ""}


def _typed_by(db: Session, participant: Participant) -> dict[str, Any]:
    """Who typed the address, as the confirmation page names them: a stranger sees at once it is not theirs."""
    workshop = db.get(Workshop, participant.workshop_id)
    return {
        "typist": "" if participant.anonymous else participant.name,
        "organisation": "" if participant.anonymous else participant.organisation,
        "workshop_title": workshop.title if workshop else "",
    }


def _confirmed_participant(db: Session, row: MailToken, *, lock: bool = False) -> Participant:
    """The participant whose address a confirmation link is for, while that is still their address (else 410); lock
    holds them until the transaction ends (PostgreSQL), as saving an address does before it voids their links."""
    participant = (
        db.get(Participant, row.participant_id, with_for_update={"key_share": True} if lock else None)
        if row.participant_id
        else None
    )
    if participant is None or participant.email is None:
        raise DomainError(
            "address_changed", N_("Dit adres is niet meer opgegeven. Er valt niets te bevestigen."), status=410
        )
    if addresses.address_key(participant.email) != addresses.address_key(row.address):
        raise DomainError(
            "address_changed",
            N_("Het adres is veranderd sinds deze e-mail. Bevestig met de link in de nieuwste e-mail."),
            status=410,
        )
    return participant


def confirm_address_link(db: Session, *, token: str) -> dict[str, Any]:
    """What an address confirmation link's page asks: is this address yours, typed by this person? Changes nothing
    (mail scanners open it)."""
    row = _mail_token(db, token, "confirm")
    participant = _confirmed_participant(db, row)
    return {**_asked_about(db, row), **_typed_by(db, participant)}


def confirm_address(db: Tx, *, token: str, proof: str, links: Links, secret: str) -> dict[str, Any]:
    """The owner's yes: the participant's address is confirmed, and counts for the reporting rule; the link is spent.

    The personal link goes only to the browser that typed the address (proof): the confirmation page shows it and
    mails it to the address, now known to be the typist's. A yes from any other browser, a stranger's whose address
    was mistyped, confirms the address and nothing more; the typist, pressing the spent link in their own browser,
    still gets their link. The participant is held before the link, in saving an address's order (the participant,
    then their links): the other way round, a confirmation and a change of the address at one moment deadlocked on
    PostgreSQL."""
    _confirmed_participant(db, _mail_token(db, token, "confirm", used_ok=True), lock=True)
    row = _mail_token(db, token, "confirm", lock=True, used_ok=True)
    participant = _confirmed_participant(db, row)
    typist = _is_typist(participant, proof, secret=secret)
    if row.used_at is not None and not (typist and participant.email_confirmed_at is not None):
        raise DomainError("mail_link_used", N_("Met deze link is al bevestigd; hij werkt één keer."), status=410)
    if row.used_at is None:
        row.used_at = participant.email_confirmed_at = utcnow()
    db.flush()
    page = None
    if typist and participant.email:
        page = workshops.link_token(participant, secret=secret)
        workshop = db.get(Workshop, participant.workshop_id)
        workspace = db.get(Workspace, row.workspace_id)
        recipient = Recipient(
            address=participant.email,
            lang=participant.email_lang,
            name=participant.name,
            participant_id=participant.id,
            link_token=page,
        )
        draft = mails.link_mail(
            links,
            recipient=recipient,
            workspace_id=row.workspace_id,
            workspace_name=workspace.name if workspace else "",
            workshop_title=workshop.title if workshop else "",
            now=utcnow(),
        )
        # once per participant and address: pressing the spent link again in the typist's browser mails no second
        outbox.queue(db, workspace_id=row.workspace_id, drafts=[draft], domain=links.domain)
    return {**_asked_about(db, row), **_typed_by(db, participant), "page": f"/m/{page}" if page else None}
