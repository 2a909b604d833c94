"""workspaces, members, sign-in sessions, invitations, organisations, action history and review selections

Every facilitator's workshops, saved formats and lists move into a workspace of their own, with them as its
beheerder; the organisation names participants typed become the workspace's organisations, not yet confirmed.

Revision ID: 0006
Revises: 0005
"""

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this migration."""

    op.create_table(
        "workspace",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("jargon", sa.JSON(), nullable=True),
        sa.Column("blocked_words", sa.JSON(), nullable=True),
        sa.Column("retention_months", sa.Integer(), nullable=False, server_default="18"),
        sa.Column("tag_keywords", sa.JSON(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["facilitator.id"],
        ),
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["facilitator.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_token_hash"), ["token_hash"], unique=True)
        batch_op.create_index(batch_op.f("ix_invitation_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "loginsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["facilitator.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("loginsession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loginsession_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loginsession_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["facilitator.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "account_id", name="uq_membership"),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_account_id"), ["account_id"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("short_name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("sector", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("own", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "key", name="uq_organisation_key"),
    )
    op.create_table(
        "organisationname",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspace.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workspace_id", "key", name="uq_organisation_name"),
    )
    with op.batch_alter_table("organisationname", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisationname_organisation_id"), ["organisation_id"], unique=False)

    op.create_table(
        "actionchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("before", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("after", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("workshop_id", sa.Integer(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["facilitator.id"],
        ),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["action.id"],
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("actionchange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actionchange_action_id"), ["action_id"], unique=False)

    op.create_table(
        "reviewitem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["action.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workshop_id", "action_id", name="uq_review_item"),
    )
    with op.batch_alter_table("reviewitem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewitem_action_id"), ["action_id"], unique=False)

    # new columns start nullable, are filled below, and only then made required
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("savedformat", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("workspace_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("owner_organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table("actionpartner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))

    _move_into_workspaces(op.get_bind())

    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.alter_column("workspace_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f("ix_workshop_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_foreign_key("fk_workshop_workspace_id", "workspace", ["workspace_id"], ["id"])
    with op.batch_alter_table("savedformat", schema=None) as batch_op:
        batch_op.alter_column("workspace_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint("uq_saved_format_key", type_="unique")
        batch_op.create_unique_constraint("uq_saved_format_key", ["workspace_id", "key"])
        batch_op.create_foreign_key("fk_savedformat_workspace_id", "workspace", ["workspace_id"], ["id"])
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.alter_column("workspace_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("updated_at", existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        batch_op.create_index(batch_op.f("ix_action_owner_organisation_id"), ["owner_organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_workspace_id"), ["workspace_id"], unique=False)
        batch_op.create_foreign_key("fk_action_workspace_id", "workspace", ["workspace_id"], ["id"])
        batch_op.create_foreign_key(
            "fk_action_owner_organisation_id", "organisation", ["owner_organisation_id"], ["id"]
        )
    with op.batch_alter_table("actionpartner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actionpartner_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_foreign_key("fk_actionpartner_organisation_id", "organisation", ["organisation_id"], ["id"])
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_foreign_key("fk_participant_organisation_id", "organisation", ["organisation_id"], ["id"])
    with op.batch_alter_table("facilitator", schema=None) as batch_op:
        batch_op.drop_column("jargon")
        batch_op.drop_column("blocked_words")


def _json(value: object) -> object:
    """A list's value as stored: SQL NULL (the shipped list) stays NULL rather than becoming JSON null."""
    return sa.null() if value is None else value


def _key(name: str) -> str:
    """An organisation name folded for matching, as the app folds it (written out here: a migration stays fixed)."""
    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())[:120]


def _move_into_workspaces(connection: sa.engine.Connection) -> None:
    """Each facilitator gets a workspace with their workshops, formats, lists and organisations; nothing is dropped."""
    meta = sa.MetaData()
    meta.reflect(connection)
    t = meta.tables
    now = datetime.now(UTC)
    accounts = connection.execute(
        sa.select(
            t["facilitator"].c.id, t["facilitator"].c.name, t["facilitator"].c.jargon, t["facilitator"].c.blocked_words
        )
    ).all()
    for account_id, name, jargon, blocked_words in accounts:
        workspace_id = connection.execute(
            t["workspace"]
            .insert()
            .values(
                name=f"Werkruimte van {name}"[:120],
                jargon=_json(jargon),
                blocked_words=_json(blocked_words),
                created_at=now,
            )
        ).inserted_primary_key[0]
        connection.execute(
            t["membership"]
            .insert()
            .values(workspace_id=workspace_id, account_id=account_id, role="beheerder", created_at=now)
        )
        connection.execute(
            t["workshop"].update().where(t["workshop"].c.facilitator_id == account_id).values(workspace_id=workspace_id)
        )
        connection.execute(
            t["savedformat"]
            .update()
            .where(t["savedformat"].c.facilitator_id == account_id)
            .values(workspace_id=workspace_id)
        )
    workshop, action = t["workshop"], t["action"]
    connection.execute(
        action.update().values(
            workspace_id=sa.select(workshop.c.workspace_id)
            .where(workshop.c.id == action.c.workshop_id)
            .scalar_subquery(),
            updated_at=action.c.created_at,
        )
    )
    _organisations(connection, t, now)
    _history_and_reviews(connection, t)


def _organisations(connection: sa.engine.Connection, t: dict[str, sa.Table], now: datetime) -> None:
    """The names typed so far become each workspace's organisations (one per folded name), each row linked to one."""
    participant, action, partner, workshop = t["participant"], t["action"], t["actionpartner"], t["workshop"]
    named = [
        sa.select(workshop.c.workspace_id, participant.c.organisation.label("name"))
        .join(workshop, workshop.c.id == participant.c.workshop_id)
        .where(participant.c.anonymous == sa.false()),
        sa.select(action.c.workspace_id, action.c.owner_organisation.label("name")),
        sa.select(action.c.workspace_id, partner.c.organisation.label("name")).join(
            action, action.c.id == partner.c.action_id
        ),
    ]
    found: dict[tuple[int, str], int] = {}
    for query in named:
        for workspace_id, name in connection.execute(query).all():
            key = _key(name or "")
            if not key or (workspace_id, key) in found:
                continue
            organisation_id = connection.execute(
                t["organisation"]
                .insert()
                .values(
                    workspace_id=workspace_id,
                    name=name,
                    key=key,
                    short_name="",
                    aliases=[],
                    sector=None,
                    confirmed=False,
                    own=False,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            connection.execute(
                t["organisationname"]
                .insert()
                .values(workspace_id=workspace_id, key=key, organisation_id=organisation_id)
            )
            found[workspace_id, key] = organisation_id
    people = connection.execute(
        sa.select(participant.c.id, participant.c.organisation, workshop.c.workspace_id)
        .join(workshop, workshop.c.id == participant.c.workshop_id)
        .where(participant.c.anonymous == sa.false())
    ).all()
    for row_id, name, workspace_id in people:
        if (workspace_id, _key(name or "")) in found:
            connection.execute(
                participant.update()
                .where(participant.c.id == row_id)
                .values(organisation_id=found[workspace_id, _key(name)])
            )
    for row_id, name, workspace_id in connection.execute(
        sa.select(action.c.id, action.c.owner_organisation, action.c.workspace_id)
    ).all():
        if (workspace_id, _key(name or "")) in found:
            connection.execute(
                action.update()
                .where(action.c.id == row_id)
                .values(owner_organisation_id=found[workspace_id, _key(name)])
            )
    for row_id, name, workspace_id in connection.execute(
        sa.select(partner.c.id, partner.c.organisation, action.c.workspace_id).join(
            action, action.c.id == partner.c.action_id
        )
    ).all():
        if (workspace_id, _key(name or "")) in found:
            connection.execute(
                partner.update().where(partner.c.id == row_id).values(organisation_id=found[workspace_id, _key(name)])
            )


def _history_and_reviews(connection: sa.engine.Connection, t: dict[str, sa.Table]) -> None:
    """An action's history starts with its agreement and its reviews; a follow-up's look back becomes a selection."""
    action, change, update, review, workshop = (
        t["action"],
        t["actionchange"],
        t["actionupdate"],
        t["reviewitem"],
        t["workshop"],
    )
    for action_id, status, created_at in connection.execute(
        sa.select(action.c.id, action.c.status, action.c.created_at)
    ).all():
        connection.execute(
            change.insert().values(action_id=action_id, kind="created", before="", after=status, note="", at=created_at)
        )
    for row in connection.execute(sa.select(update)).mappings().all():
        connection.execute(
            change.insert().values(
                action_id=row["action_id"],
                kind="review",
                before=row["status_before"],
                after=row["status"],
                note=row["note"],
                participant_id=row["participant_id"],
                workshop_id=row["workshop_id"],
                at=row["updated_at"],
            )
        )
    # what a follow-up showed before: the earlier workshop's actions that are still open, and any reported on in it
    for followup_id, earlier_id, created_at in connection.execute(
        sa.select(workshop.c.id, workshop.c.review_of, workshop.c.created_at).where(workshop.c.review_of.is_not(None))
    ).all():
        reported = {
            action_id
            for (action_id,) in connection.execute(
                sa.select(update.c.action_id).where(update.c.workshop_id == followup_id)
            ).all()
        }
        for action_id, status in connection.execute(
            sa.select(action.c.id, action.c.status).where(
                action.c.workshop_id == earlier_id, action.c.deleted_at.is_(None)
            )
        ).all():
            if status != "klaar" or action_id in reported:
                connection.execute(
                    review.insert().values(workshop_id=followup_id, action_id=action_id, added_at=created_at)
                )


def downgrade() -> None:
    """Undo: the lists go back to each workspace's first beheerder; workspaces and the rest are dropped."""
    with op.batch_alter_table("facilitator", schema=None) as batch_op:
        batch_op.add_column(sa.Column("blocked_words", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("jargon", sa.JSON(), nullable=True))
    connection = op.get_bind()
    meta = sa.MetaData()
    meta.reflect(connection)
    t = meta.tables
    for workspace_id, jargon, blocked_words in connection.execute(
        sa.select(t["workspace"].c.id, t["workspace"].c.jargon, t["workspace"].c.blocked_words)
    ).all():
        first = connection.execute(
            sa.select(t["membership"].c.account_id)
            .where(t["membership"].c.workspace_id == workspace_id, t["membership"].c.role == "beheerder")
            .order_by(t["membership"].c.id)
            .limit(1)
        ).scalar()
        if first is not None:
            connection.execute(
                t["facilitator"]
                .update()
                .where(t["facilitator"].c.id == first)
                .values(jargon=_json(jargon), blocked_words=_json(blocked_words))
            )
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_constraint("fk_workshop_workspace_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_workshop_workspace_id"))
        batch_op.drop_column("workspace_id")
        batch_op.drop_column("anonymised_at")
    with op.batch_alter_table("savedformat", schema=None) as batch_op:
        batch_op.drop_constraint("fk_savedformat_workspace_id", type_="foreignkey")
        batch_op.drop_constraint("uq_saved_format_key", type_="unique")
        batch_op.create_unique_constraint("uq_saved_format_key", ["facilitator_id", "key"])
        batch_op.drop_column("workspace_id")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_constraint("fk_participant_organisation_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_participant_organisation_id"))
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("actionpartner", schema=None) as batch_op:
        batch_op.drop_constraint("fk_actionpartner_organisation_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_actionpartner_organisation_id"))
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_constraint("fk_action_owner_organisation_id", type_="foreignkey")
        batch_op.drop_constraint("fk_action_workspace_id", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_action_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_action_owner_organisation_id"))
        batch_op.drop_column("updated_at")
        batch_op.drop_column("owner_organisation_id")
        batch_op.drop_column("workspace_id")
    for table in (
        "reviewitem",
        "actionchange",
        "organisationname",
        "organisation",
        "membership",
        "loginsession",
        "invitation",
        "workspace",
    ):
        op.drop_table(table)
