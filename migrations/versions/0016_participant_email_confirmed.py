"""participant email confirmed: a typed address makes no one an action's contact until its owner confirms it

Anyone who joined a workshop could type any address on Mijn afspraken, and the reporting rule then made them the
contact of every action of the workspace with that address. An address now counts for the rule once its owner
opened the confirmation link mailed to it (email_confirmed_at).

Addresses stored before count as confirmed where the outbox shows that a mail written for the participant reached
that address's server and none to it failed: each address got its link mail the moment it was given, and a mail
accepted and not refused is the owner's chance to have objected (unsubscribe) that the old flow gave. The others
(no such mail left: the outbox keeps a month; or a mail that failed) wait for confirmation: Mijn afspraken says so,
and saving the address again mails a new link. Until then reminders still reach them as before; only the contact's
rights wait.

Revision ID: 0016
Revises: 0015
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_participant = sa.table(
    "participant",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("email_confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime()),
)
_outbox = sa.table(
    "outboxmessage",
    sa.column("participant_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("dedupe_key", sa.String),
    sa.column("recipient", sa.String),
    sa.column("status", sa.String),
)


def _folded(address: str) -> str:
    """As app.addresses.address_key folds it (copied: a migration keeps the rule of its day)."""
    return address.strip().casefold()


def _written_for(participant_id: int | None, kind: str, dedupe_key: str) -> int | None:
    """The participant a mail was written for: recorded since 0013; a link mail's key names them before that."""
    if participant_id is not None:
        return participant_id
    parts = dedupe_key.split(":")
    if kind == "link" and len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return None


def upgrade() -> None:
    """Apply this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    bind = op.get_bind()
    outcomes: defaultdict[tuple[int, str], set[str]] = defaultdict(set)
    mails = sa.select(
        _outbox.c.participant_id, _outbox.c.kind, _outbox.c.dedupe_key, _outbox.c.recipient, _outbox.c.status
    )
    for participant_id, kind, dedupe_key, recipient, status in bind.execute(mails):
        person = _written_for(participant_id, kind, dedupe_key or "")
        if person is not None:
            outcomes[(person, _folded(recipient or ""))].add(status)
    given = bind.execute(sa.select(_participant.c.id, _participant.c.email).where(_participant.c.email.is_not(None)))
    confirmed = [
        person
        for person, email in given
        if "sent" in outcomes[(person, _folded(email))] and "failed" not in outcomes[(person, _folded(email))]
    ]
    now = datetime.now(UTC)
    for start in range(0, len(confirmed), 500):
        chunk = confirmed[start : start + 500]
        bind.execute(sa.update(_participant).where(_participant.c.id.in_(chunk)).values(email_confirmed_at=now))


def downgrade() -> None:
    """Undo this migration."""
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
