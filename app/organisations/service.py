"""The network's organisations: finding one by any of its names, and adding a name nobody used before."""

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col

from app.models import Organisation, OrganisationName

KEY_MAX = 120


def organisation_key(name: str) -> str:
    """A name folded for matching: case, punctuation and spacing do not count ("Gem. Heerlen" is "gem heerlen")."""
    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())[:KEY_MAX]


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
        # another worker added the same name a moment ago: use theirs
        return find_organisation(db, workspace_id=workspace_id, name=name)
    return organisation
