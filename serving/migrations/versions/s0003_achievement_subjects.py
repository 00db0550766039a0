"""serving: random subject keys for achievement decisions in the audit trail

Revision ID: s0003
Revises: s0002
Create Date: 2026-11-29 22:30:00

Until s0002 the audit filed achievement decisions under the achievement id, which the footprint
derives from the participant id with a public hash: after an erasure anyone knowing the
participant's id could still find them. From now on they are filed under a random key
(``serving_achievement_subjects``: key <-> achievement id, deleted when the achievement is
erased), as competence decisions are filed under random review ids.

The entries written before this revision are re-keyed once, here: each achievement id gets a
random key, kept in the mapping when the achievement is still stored, and forgotten when it was
erased already (those entries are linked to nobody from now on). The append-only guards are
lifted for that one statement inside this migration's transaction and put back before it
commits; the audit records the re-keying itself as an ``audit.rekey`` entry. Nothing else in an
entry changes (who, when, action, before, after, comment).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None

CHUNK = 500

# the guards of s0001, verbatim
_SQLITE_GUARDS = (
    "CREATE TRIGGER serving_audit_log_no_update BEFORE UPDATE ON serving_audit_log "
    "BEGIN SELECT RAISE(ABORT, 'serving_audit_log is append-only'); END",
    "CREATE TRIGGER serving_audit_log_no_delete BEFORE DELETE ON serving_audit_log "
    "BEGIN SELECT RAISE(ABORT, 'serving_audit_log is append-only'); END",
)


def _guards(bind: sa.Connection, on: bool) -> None:
    """Lift (``on=False``) or restore the append-only triggers, inside the migration's
    transaction (DDL is transactional on SQLite and PostgreSQL)."""
    dialect = bind.dialect.name
    if dialect == "postgresql":
        verb = "ENABLE" if on else "DISABLE"
        op.execute(f"ALTER TABLE serving_audit_log {verb} TRIGGER serving_audit_log_append_only")
    elif dialect == "sqlite":
        if on:
            for statement in _SQLITE_GUARDS:
                op.execute(statement)
        else:
            op.execute("DROP TRIGGER serving_audit_log_no_update")
            op.execute("DROP TRIGGER serving_audit_log_no_delete")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _stored(bind: sa.Connection, ids: list[str]) -> set[str]:
    """Which of ``ids`` are still in the footprint's ``achievements`` table."""
    if not sa.inspect(bind).has_table("achievements"):
        return set()
    query = sa.text("SELECT achievement_id FROM achievements WHERE achievement_id IN :ids")
    query = query.bindparams(sa.bindparam("ids", expanding=True))
    found: set[str] = set()
    for i in range(0, len(ids), CHUNK):
        found.update(str(v) for v in bind.execute(query, {"ids": ids[i : i + CHUNK]}).scalars())
    return found


def _rekey(bind: sa.Connection) -> None:
    legacy = sorted(
        str(v)
        for v in bind.execute(
            sa.text(
                "SELECT DISTINCT subject_id FROM serving_audit_log "
                "WHERE subject_type = 'achievement'"
            )
        ).scalars()
    )
    if not legacy:
        return
    now = _now()
    keys = {old: str(uuid.uuid4()) for old in legacy}
    live = _stored(bind, legacy)
    if live:
        bind.execute(
            sa.text(
                "INSERT INTO serving_achievement_subjects (subject_key, achievement_id, "
                "created_at) VALUES (:key, :old, :now)"
            ),
            [{"key": keys[old], "old": old, "now": now} for old in sorted(live)],
        )
    entries = int(
        bind.execute(
            sa.text("SELECT COUNT(*) FROM serving_audit_log WHERE subject_type = 'achievement'")
        ).scalar_one()
    )
    _guards(bind, on=False)
    bind.execute(
        sa.text(
            "UPDATE serving_audit_log SET subject_id = :key "
            "WHERE subject_type = 'achievement' AND subject_id = :old"
        ),
        [{"key": key, "old": old} for old, key in keys.items()],
    )
    _guards(bind, on=True)
    bind.execute(
        sa.text(
            "INSERT INTO serving_audit_log (audit_id, occurred_at, actor, actor_role, action, "
            "subject_type, subject_id, before, after, comment, request_id) VALUES (:audit_id, "
            ":now, 'system:migration', 'system', 'audit.rekey', 'audit', 's0003', :before, "
            ":after, :comment, NULL)"
        ),
        {
            "audit_id": str(uuid.uuid4()),
            "now": now,
            "before": json.dumps({"subject": "achievement_id", "entries": entries}),
            "after": json.dumps(
                {
                    "subject": "subject_key",
                    "entries": entries,
                    "achievements_linked": len(live),
                    "achievements_unlinked": len(legacy) - len(live),
                },
                sort_keys=True,
            ),
            "comment": (
                "Записи о решениях по достижениям переведены с идентификаторов достижений на "
                "случайные ключи; ключи удалённых участников ни с кем не связаны."
            ),
        },
    )


def upgrade() -> None:
    op.create_table(
        "serving_achievement_subjects",
        sa.Column("subject_key", sa.String(length=36), nullable=False),
        sa.Column("achievement_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subject_key"),
        sa.UniqueConstraint("achievement_id", name="uq_serving_achievement_subjects_achievement"),
    )
    _rekey(op.get_bind())


def downgrade() -> None:
    """Files the entries of still-stored achievements under their achievement ids again (what
    s0002's code looks up); entries of erased achievements keep their unlinked keys."""
    bind = op.get_bind()
    pairs = bind.execute(
        sa.text("SELECT subject_key, achievement_id FROM serving_achievement_subjects")
    ).all()
    if pairs:
        _guards(bind, on=False)
        bind.execute(
            sa.text(
                "UPDATE serving_audit_log SET subject_id = :aid "
                "WHERE subject_type = 'achievement' AND subject_id = :key"
            ),
            [{"aid": str(aid), "key": str(key)} for key, aid in pairs],
        )
        _guards(bind, on=True)
    op.drop_table("serving_achievement_subjects")
