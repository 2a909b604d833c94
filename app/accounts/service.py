"""Facilitator accounts."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from app import security
from app.errors import DomainError
from app.i18n import N_
from app.models import Facilitator
from app.store.events import Tx


def count_facilitators(db: Session) -> int:
    """How many facilitator accounts exist."""
    return db.execute(select(func.count()).select_from(Facilitator)).scalar_one()


def create_facilitator(db: Tx, *, email: str, name: str, password: str) -> Facilitator:
    """A new facilitator account; the email must be free."""
    email = email.strip().lower()
    if db.execute(select(Facilitator).where(col(Facilitator.email) == email)).first():
        raise DomainError("email_taken", N_("Er bestaat al een account met dit e-mailadres."), status=409)
    facilitator = Facilitator(email=email, name=name.strip(), password_hash=security.hash_password(password))
    db.add(facilitator)
    db.flush()
    return facilitator


def authenticate(db: Session, *, email: str, password: str) -> Facilitator | None:
    """The facilitator with this email and password, or None."""
    found = db.execute(select(Facilitator).where(col(Facilitator.email) == email.strip().lower())).scalar_one_or_none()
    if found is None:
        security.verify_without_account(password)  # same work either way: no account probing by timing
        return None
    return found if security.verify_password(found.password_hash, password) else None
