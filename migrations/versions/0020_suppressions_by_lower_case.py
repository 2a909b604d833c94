"""suppressions by lower case: an unsubscribe kept by casefold holds for the address as it is now keyed

Addresses match by lower case since the straße.de fix (app/addresses.address_key), not by casefold. An unsubscribe
was kept by its address's key, so one from cor@straße.de was kept as cor@strasse.de, and no longer matched the
address it came from: its reminders would start again. For each suppression, every address the workspace's mails
went to (its mail tokens keep each as it was sent) that casefolds to it and is another key in lower case is
suppressed under that key too. The casefolded row stays (whether its own address unsubscribed cannot be told
apart), so nobody who unsubscribed is mailed again.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_suppression = sa.table(
    "mailsuppression",
    sa.column("workspace_id", sa.Integer),
    sa.column("address", sa.String),
    sa.column("created_at", sa.DateTime),
)
_token = sa.table("mailtoken", sa.column("workspace_id", sa.Integer), sa.column("address", sa.String))


def upgrade() -> None:
    """Apply this migration."""
    connection = op.get_bind()
    kept = {
        (workspace_id, address): created_at
        for workspace_id, address, created_at in connection.execute(
            sa.select(_suppression.c.workspace_id, _suppression.c.address, _suppression.c.created_at)
        )
    }
    if not kept:
        return
    added: dict[tuple[int, str], object] = {}
    sent_to = connection.execute(sa.select(_token.c.workspace_id, _token.c.address).distinct())
    for workspace_id, address in sent_to:
        # only an address that is not ASCII folds differently (its domain: the name before the @ is ASCII)
        if address.isascii():
            continue
        folded, lower = address.strip().casefold(), address.strip().lower()
        if folded != lower and (workspace_id, folded) in kept and (workspace_id, lower) not in kept:
            added.setdefault((workspace_id, lower), kept[(workspace_id, folded)])
    if added:
        connection.execute(
            sa.insert(_suppression),
            [{"workspace_id": w, "address": a, "created_at": at} for (w, a), at in added.items()],
        )


def downgrade() -> None:
    """Revert this migration: the rows it added are suppressions like any other, and stay."""
