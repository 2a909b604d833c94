"""What the routes of Mijn afspraken and of links in mails do: an address given, a report, unsubscribing, a feed."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import addresses, i18n
from app.actions import review
from app.errors import DomainError
from app.i18n import N_
from app.models import (
    Action,
    MailSuppression,
    MailToken,
    Membership,
    OutboxMessage,
    Participant,
    Workspace,
    utcnow,
)
from app.notify import feeds, mails, outbox
from app.notify.mails import Links, Recipient
from app.security import token_digest
from app.store.events import Tx
from app.workshops import service as workshops


def _suppression_of(workspace_id: int, address: str) -> ColumnElement[bool]:
    """Which row says that the address unsubscribed from the workspace's reminders."""
    return (col(MailSuppression.workspace_id) == workspace_id) & (
        col(MailSuppression.address) == addresses.address_key(address)
    )


def is_unsubscribed(db: Session, *, workspace_id: int, address: str) -> bool:
    """Whether an address unsubscribed from this workspace's reminders."""
    found = select(col(MailSuppression.id)).where(_suppression_of(workspace_id, address))
    return db.execute(found).first() is not None


def save_address(db: Tx, *, link_token: str, email: str, lang: str, links: Links, secret: str) -> bool:
    """Keep (or, empty, remove) a participant's address; a new address gets their link by mail at once.

    Returns whether a mail was queued. An address that unsubscribed from the workspace is refused (409): anyone who
    joined may type any address, so only its owner takes an unsubscribe back (resubscribe, from a mail's link). The
    secret key checks the link and derives the one in the mail.
    """
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    if lang not in i18n.available_locales():
        raise DomainError("bad_language", N_("Kies Nederlands of Engels voor je e-mails."), status=422)
    if not email.strip():
        participant.email = None
        return False
    address = addresses.checked_address(email)
    if is_unsubscribed(db, workspace_id=workshop.workspace_id, address=address):
        message = N_(
            "Dit adres heeft gevraagd om geen e-mail meer van deze werkruimte, dus we sturen er niets heen. Is het "
            "jouw adres? Meld je dan weer aan met de afmeldlink onderaan een eerdere e-mail van ons, en geef het hier "
            "opnieuw op."
        )
        raise DomainError("address_unsubscribed", message, status=409)
    new = participant.email is None or addresses.address_key(participant.email) != addresses.address_key(address)
    participant.email, participant.email_lang = address, lang
    db.flush()
    if not new:
        return False
    workspace = db.get(Workspace, workshop.workspace_id)
    recipient = Recipient(
        address=address,
        lang=lang,
        name=participant.name,
        participant_id=participant.id,
        link_token=workshops.link_token(participant, secret=secret),
    )
    draft = mails.link_mail(
        links,
        recipient=recipient,
        workspace_id=workshop.workspace_id,
        workspace_name=workspace.name if workspace else "",
        workshop_title=workshop.title,
        now=utcnow(),
    )
    # in the same transaction as the address: both are kept, or neither
    return outbox.queue(db, workspace_id=workshop.workspace_id, drafts=[draft], domain=links.domain) == 1


def report_from_page(db: Tx, *, link_token: str, action_id: int, status: str, note: str, secret: str) -> dict[str, Any]:
    """A report from Mijn afspraken: an action of the participant's workspace that the rule lets them report on."""
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    action = db.get(Action, action_id)
    if action is None or action.workspace_id != workshop.workspace_id or action.deleted_at is not None:
        raise DomainError("action_not_found", N_("Deze afspraak bestaat niet (meer)."), status=404)
    return review.report_between_sessions(
        db, action_id=action_id, status=status, note=note, via="mijn_afspraken", participant=participant
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


def _mail_token(db: Session, token: str, purpose: str) -> MailToken:
    """A link's token, checked: unknown (or forged) 404; expired or (a status link) used before 410."""
    row = db.execute(
        select(MailToken).where(col(MailToken.token_hash) == token_digest(token), col(MailToken.purpose) == purpose)
    ).scalar_one_or_none()
    if row is None:
        raise DomainError(
            "mail_link_unknown", N_("Deze link kennen we niet. Kijk of hij helemaal is overgenomen."), status=404
        )
    if row.expires_at < utcnow():
        raise DomainError("mail_link_expired", N_("Deze link is verlopen."), status=410)
    if purpose == "status" and row.used_at is not None:
        raise DomainError(
            "mail_link_used", N_("Met deze link is al gemeld. Meld opnieuw via Mijn afspraken."), status=410
        )
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
    )


def report_by_link(db: Tx, *, token: str, status: str, note: str) -> dict[str, Any]:
    """The one POST a status button leads to: the report, by the rule, from the mail's recipient; the link is spent."""
    row = _mail_token(db, token, "status")
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


def _membership(db: Session, row: MailToken) -> Membership | None:
    """The membership whose digest an unsubscribe link of a digest stops."""
    return db.execute(
        select(Membership).where(
            col(Membership.account_id) == row.account_id, col(Membership.workspace_id) == row.workspace_id
        )
    ).scalar_one_or_none()


def unsubscribe_link(db: Session, *, token: str) -> dict[str, Any]:
    """What the unsubscribe page says it will stop (a workspace's reminders, or a member's digest), and whether it
    stopped already (the page then offers to take it back)."""
    row = _mail_token(db, token, "unsubscribe")
    workspace = db.get(Workspace, row.workspace_id)
    if row.account_id is not None:
        membership = _membership(db, row)
        unsubscribed = membership is not None and not membership.digest
    else:
        unsubscribed = is_unsubscribed(db, workspace_id=row.workspace_id, address=row.address)
    return {
        "address": row.address,
        "digest": row.account_id is not None,
        "workspace": workspace.name if workspace else "",
        "unsubscribed": unsubscribed,
    }


def unsubscribe(db: Tx, *, token: str) -> None:
    """Stop the mails this link's mail came with: the member's digest, or every reminder to the address."""
    row = _mail_token(db, token, "unsubscribe")
    if row.account_id is not None:
        membership = _membership(db, row)
        if membership is not None:
            membership.digest = False
    elif not is_unsubscribed(db, workspace_id=row.workspace_id, address=row.address):
        db.add(MailSuppression(workspace_id=row.workspace_id, address=addresses.address_key(row.address)))
    # what waits to be sent to this address from this workspace stays unsent too
    waiting = db.execute(
        select(col(OutboxMessage.id), col(OutboxMessage.recipient), col(OutboxMessage.kind)).where(
            col(OutboxMessage.workspace_id) == row.workspace_id,
            col(OutboxMessage.status) == "pending",
            col(OutboxMessage.attempts) == 0,
        )
    ).all()
    stopped = [
        message_id
        for message_id, recipient, kind in waiting
        if addresses.address_key(recipient) == addresses.address_key(row.address)
        and (kind == "digest") == (row.account_id is not None)
    ]
    if stopped:
        db.execute(delete(OutboxMessage).where(col(OutboxMessage.id).in_(stopped)))
    row.used_at = row.used_at or utcnow()
    db.flush()


def participant_feed(db: Tx, *, link_token: str, secret: str) -> str:
    """A new calendar feed of the participant's own dates (their earlier one stops); returns its token."""
    participant, workshop = workshops.participant_by_link(db, link_token, secret=secret)
    return feeds.create_feed(db, workspace_id=workshop.workspace_id, scope="participant", participant_id=participant.id)


def set_digest(db: Tx, *, account_id: int, workspace_id: int, on: bool, lang: str) -> None:
    """A member's own choice: the workspace's weekly digest by mail, in this language, or none."""
    if lang not in i18n.available_locales():
        raise DomainError("bad_language", N_("Kies Nederlands of Engels voor je e-mails."), status=422)
    membership = db.execute(
        select(Membership).where(col(Membership.account_id) == account_id, col(Membership.workspace_id) == workspace_id)
    ).scalar_one_or_none()
    if membership is None:
        raise DomainError("not_a_member", N_("Je bent geen lid meer van deze werkruimte."), status=403)
    membership.digest, membership.digest_lang = on, lang


def resubscribe(db: Tx, *, token: str) -> None:
    """Take back what this unsubscribe link stopped: the member's digest, or the workspace's reminders to the address.

    Only the address's owner has the link (it came in a mail to it, and works for UNSUBSCRIBE_LINK_FOR): the one
    way back for an address that a participant may not give again on Mijn afspraken (save_address)."""
    row = _mail_token(db, token, "unsubscribe")
    if row.account_id is not None:
        membership = _membership(db, row)
        if membership is not None:
            membership.digest = True
    else:
        db.execute(delete(MailSuppression).where(_suppression_of(row.workspace_id, row.address)))
