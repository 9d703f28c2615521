"""cores, repositories, builds, build variables

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "builds_cores",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(40), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("core_class", sa.String(40), nullable=False),
        sa.Column("microarchitecture", sa.String(40), nullable=False),
        sa.Column("correlation_tracking", sa.String(40), nullable=False),
        sa.Column("memory_size", sa.BigInteger, nullable=False),
        sa.Column("precision", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False, index=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "builds_repositories",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(40), nullable=False, index=True),
        sa.Column("remote_url", sa.Text, nullable=False),
        sa.Column("commit", sa.String(200), nullable=False),
        sa.Column("branch", sa.String(400), nullable=False),
        sa.Column("build_directory", sa.Text, nullable=False),
        sa.Column("arguments", sa.Text, nullable=False),
        sa.Column("core", sa.String(200), nullable=False),
        sa.Column("data_sources", sa.JSON, nullable=False),
        sa.Column("trace_variables", sa.JSON, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False, index=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_table(
        "builds_builds",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(40), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("transitions", sa.JSON, nullable=False),
        sa.Column("core_id", sa.String(40), nullable=False),
        sa.Column("core_specs", sa.JSON, nullable=False),
        sa.Column("application_type", sa.String(20), nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("language", sa.String(20), nullable=False),
        sa.Column("config_mk", sa.Text, nullable=True),
        sa.Column("repository_id", sa.String(40), nullable=True, index=True),
        sa.Column("repository", sa.JSON, nullable=True),
        sa.Column("arguments", sa.Text, nullable=False),
        sa.Column("data_sources", sa.JSON, nullable=False),
        sa.Column("trace_variables", sa.JSON, nullable=False),
        sa.Column("discover_variables", sa.Boolean, nullable=False),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False, index=True),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float, nullable=True),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("artifact_available", sa.Boolean, nullable=False),
        sa.Column("build_time_ms", sa.Integer, nullable=False),
        sa.Column("build_size", sa.BigInteger, nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
    )
    op.create_table(
        "builds_variables",
        sa.Column("build_id", sa.String(40), sa.ForeignKey("builds_builds.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(400), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("function", sa.String(400), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("builds_variables")
    op.drop_table("builds_builds")
    op.drop_table("builds_repositories")
    op.drop_table("builds_cores")
