"""A workspace's own session formats: list, save, fetch and delete; only ever its own."""

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from app.catalog.service import FormatSpec, formats, is_format_key
from app.errors import DomainError
from app.i18n import N_
from app.models import SavedFormat, utcnow
from app.store.events import Tx

# own formats live in their own namespace: a facilitator may keep an own "doorbraak" next to the shipped one
OWN_PREFIX = "eigen:"


def list_saved(db: Session, *, workspace_id: int) -> list[SavedFormat]:
    """A workspace's own formats, by key."""
    query = select(SavedFormat).where(col(SavedFormat.workspace_id) == workspace_id).order_by(col(SavedFormat.key))
    return list(db.execute(query).scalars())


def find_saved(db: Session, *, workspace_id: int, key: str) -> SavedFormat | None:
    """This workspace's own format with this key, if there is one."""
    if not is_format_key(key):
        # PostgreSQL refuses a NUL in a query's text with an error, not a miss
        return None
    query = select(SavedFormat).where(
        col(SavedFormat.workspace_id) == workspace_id,
        col(SavedFormat.key) == key,
    )
    return db.execute(query).scalar_one_or_none()


def get_saved(db: Session, *, workspace_id: int, key: str) -> SavedFormat:
    """This workspace's own format with this key; another's is reported as not found."""
    row = find_saved(db, workspace_id=workspace_id, key=key)
    if row is None:
        raise DomainError("format_not_found", N_("Deze eigen werkvorm bestaat niet."), status=404)
    return row


def parsed_spec(row: SavedFormat) -> FormatSpec | None:
    """The stored format as a FormatSpec, or None if it no longer passes today's rules."""
    try:
        return FormatSpec.model_validate(row.spec)
    except ValidationError:
        return None


def save_format(
    db: Tx, *, workspace_id: int, facilitator_id: int, spec: FormatSpec, overwrite: bool = False
) -> SavedFormat:
    """Store a format as this workspace's own; an existing key is only replaced when asked to."""
    row = find_saved(db, workspace_id=workspace_id, key=spec.key)
    if row is not None and not overwrite:
        raise DomainError(
            "format_exists",
            N_("Je hebt al een eigen werkvorm met de sleutel {key}. Kies een andere sleutel, of kies Overschrijven."),
            status=409,
            key=spec.key,
        )
    data = spec.model_dump(mode="json", exclude_none=True)
    if row is None:
        row = SavedFormat(workspace_id=workspace_id, facilitator_id=facilitator_id, key=spec.key, spec=data)
        db.add(row)
    else:
        row.spec, row.facilitator_id = data, facilitator_id
        row.updated_at = utcnow()
    db.flush()
    return row


def delete_format(db: Tx, *, workspace_id: int, key: str) -> None:
    """Remove one of this workspace's own formats; workshops made from it keep their own copy of the steps."""
    db.delete(get_saved(db, workspace_id=workspace_id, key=key))
    db.flush()


def chosen_format(db: Session, *, workspace_id: int, choice: str) -> FormatSpec | None:
    """The format a new-workshop form chose: "eigen:<key>" for an own format, else a shipped key."""
    if not choice.startswith(OWN_PREFIX):
        return formats().get(choice)
    row = find_saved(db, workspace_id=workspace_id, key=choice.removeprefix(OWN_PREFIX))
    return parsed_spec(row) if row is not None else None
