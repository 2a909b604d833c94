"""derived link tokens: personal and projector links are no longer stored, only a salt per row

A personal link (/m/…) and a projector link (/p/…) are now derived from the row's id and a random salt with the
secret key (app/workshops/service.py). The plain-text tokens go; what links handed out before keep of them is their
SHA-256, so those links go on working. Nothing here needs the secret key.

Revision ID: 0010
Revises: 0009
"""

import hashlib
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, old token column, new salt column, new digest column)
LINKS = (
    ("participant", "link_token", "link_salt", "legacy_link_digest"),
    ("workshop", "projector_token", "projector_salt", "legacy_projector_digest"),
)


def upgrade() -> None:
    """Apply this migration."""
    connection = op.get_bind()
    for table_name, token, salt, digest in LINKS:
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column(salt, sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
            batch_op.add_column(sa.Column(digest, sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        table = sa.table(
            table_name, sa.column("id", sa.Integer()), sa.column(token), sa.column(salt), sa.column(digest)
        )
        rows = connection.execute(sa.select(table.c.id, table.c[token])).all()
        if rows:
            # each row its own random salt; the old token is kept only as the digest that finds it (security.py)
            connection.execute(
                table.update().where(table.c.id == sa.bindparam("row_id")),
                [
                    {
                        "row_id": row_id,
                        salt: secrets.token_urlsafe(16),
                        digest: hashlib.sha256(old.encode()).hexdigest(),
                    }
                    for row_id, old in rows
                ],
            )
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.alter_column(salt, existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False)
            batch_op.create_index(batch_op.f(f"ix_{table_name}_{digest}"), [digest], unique=True)
            batch_op.drop_index(batch_op.f(f"ix_{table_name}_{token}"))
            batch_op.drop_column(token)


def downgrade() -> None:
    """Undo this migration: every row gets a new random plain-text token, so every personal and projector link
    handed out before, derived or older, stops working."""
    connection = op.get_bind()
    for table_name, token, salt, digest in reversed(LINKS):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column(token, sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        table = sa.table(table_name, sa.column("id", sa.Integer()), sa.column(token))
        ids = connection.execute(sa.select(table.c.id)).scalars().all()
        if ids:
            connection.execute(
                table.update().where(table.c.id == sa.bindparam("row_id")),
                [{"row_id": row_id, token: secrets.token_urlsafe(24)} for row_id in ids],
            )
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.alter_column(token, existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
            batch_op.create_index(batch_op.f(f"ix_{table_name}_{token}"), [token], unique=True)
            batch_op.drop_index(batch_op.f(f"ix_{table_name}_{digest}"))
            batch_op.drop_column(digest)
            batch_op.drop_column(salt)
