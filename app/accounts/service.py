"""Accounts: creating one (with a workspace of its own, or into an existing one), signing in and out."""

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import security
from app.errors import DomainError
from app.i18n import N_
from app.models import Facilitator, LoginSession, Membership, Workspace
from app.store.events import Tx

PASSWORD_MIN = 12
PASSWORD_MAX = 1000


def check_new_password(password: str, *, known: Iterable[str] = ()) -> None:
    """Refuse a new password that is too short, too long to use, or common or easy to guess (known: the account's
    own words, its name and email, which make a password guessable too)."""
    if len(password) < PASSWORD_MIN:
        raise DomainError(
            "password_short", N_("Kies een wachtwoord van minstens {min} tekens."), status=422, min=PASSWORD_MIN
        )
    if len(password) > PASSWORD_MAX:
        raise DomainError(
            "password_long", N_("Dit wachtwoord is te lang: maximaal {max} tekens."), status=422, max=PASSWORD_MAX
        )
    if security.password_is_guessable(password, known=known):
        raise DomainError(
            "password_weak",
            N_(
                "Dit wachtwoord is te makkelijk te raden: het is een veelgebruikt wachtwoord, een woord uit het "
                "woordenboek of een herhaling. Kies er een van een paar losse woorden die niet bij elkaar horen."
            ),
            status=422,
        )


def count_facilitators(db: Session) -> int:
    """How many accounts exist."""
    return db.execute(select(func.count()).select_from(Facilitator)).scalar_one()


def email_taken() -> DomainError:
    return DomainError("email_taken", N_("Er bestaat al een account met dit e-mailadres."), status=409)


def create_facilitator(
    db: Tx,
    *,
    email: str,
    name: str,
    password: str | None = None,
    password_hash: str | None = None,
    workspace_id: int | None = None,
    role: str = "beheerder",
    workspace_name: str | None = None,
) -> Facilitator:
    """A new account: a member of the given workspace, else beheerder of a new one; the email must be free. Its
    password comes hashed from the routes (security.hashed_new_password, outside the writer), or is hashed here."""
    if (password is None) == (password_hash is None):
        raise TypeError("create_facilitator takes a password or its hash, one of the two")
    email = email.strip().lower()
    if db.execute(select(Facilitator).where(col(Facilitator.email) == email)).first():
        raise email_taken()
    hashed = security.hash_password(password) if password is not None else password_hash
    assert hashed is not None  # one of the two, as checked above
    facilitator = Facilitator(email=email, name=security.clean_line(name), password_hash=hashed)
    db.add(facilitator)
    if workspace_id is None:
        workspace = Workspace(name=security.clean_line(workspace_name or f"Werkruimte van {facilitator.name}")[:120])
        db.add(workspace)
        db.flush()
        workspace_id, role = workspace.id, "beheerder"
    db.flush()
    db.add(Membership(workspace_id=workspace_id or 0, account_id=facilitator.id or 0, role=role))
    db.flush()
    return facilitator


def account_by_email(db: Session, *, email: str) -> Facilitator | None:
    """The account with this email address, or None; its password is checked outside (auth.password_refusal)."""
    if "\x00" in email:
        return None  # no address holds one, and PostgreSQL refuses to compare text that does
    return db.execute(select(Facilitator).where(col(Facilitator.email) == email.strip().lower())).scalar_one_or_none()


def first_workspace(db: Session, *, account_id: int, workspace_id: int | None = None) -> int | None:
    """The workspace an account works in: the given one if it is a member there, else the first it joined."""
    memberships = select(col(Membership.workspace_id)).where(col(Membership.account_id) == account_id)
    if workspace_id is not None:
        memberships = memberships.where(col(Membership.workspace_id) == workspace_id)
    return db.execute(memberships.order_by(col(Membership.id)).limit(1)).scalar()


def start_session(db: Tx, *, account_id: int, workspace_id: int | None = None) -> str:
    """Sign a browser in: a new session in the given workspace (or the account's first); returns its cookie token."""
    chosen = first_workspace(db, account_id=account_id, workspace_id=workspace_id)
    if chosen is None:
        raise DomainError("no_workspace", N_("Dit account hoort bij geen enkele werkruimte meer."), status=403)
    token = security.new_token()
    db.add(LoginSession(token_hash=security.token_digest(token), account_id=account_id, workspace_id=chosen))
    db.flush()
    return token


def end_session(db: Tx, *, token: str) -> None:
    """Sign one browser out: its session is gone, its cookie opens nothing."""
    db.execute(delete(LoginSession).where(col(LoginSession.token_hash) == security.token_digest(token)))


def end_other_sessions(db: Tx, *, account_id: int, keep_session_id: int | None = None) -> int:
    """Sign an account out everywhere (but the given session); returns how many sessions ended."""
    query = delete(LoginSession).where(col(LoginSession.account_id) == account_id)
    if keep_session_id is not None:
        query = query.where(col(LoginSession.id) != keep_session_id)
    return int(getattr(db.execute(query), "rowcount", 0) or 0)


def change_password(db: Tx, *, account_id: int, session_id: int, old_hash: str, new_hash: str) -> None:
    """Set a new password (its hash, made outside) if the old one is still the account's; every other session of the
    account ends."""
    account = db.get(Facilitator, account_id)
    if account is None or account.password_hash != old_hash:
        # changed from another session between the check and now: the password checked is not the current one
        raise DomainError("wrong_password", N_("Je huidige wachtwoord klopt niet."), status=422)
    account.password_hash = new_hash
    end_other_sessions(db, account_id=account_id, keep_session_id=session_id)
