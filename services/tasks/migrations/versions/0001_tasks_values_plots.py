"""tasks, values and plots

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
        "tasks_tasks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(40), nullable=False, index=True),
        sa.Column("build_id", sa.String(40), nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("transitions", sa.JSON, nullable=False),
        sa.Column("arguments", sa.Text, nullable=False),
        sa.Column("data_sources", sa.JSON, nullable=False),
        sa.Column("core_specs", sa.JSON, nullable=False),
        sa.Column("trace_variables", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False, index=True),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger, nullable=False),
        sa.Column("dynamic_instructions", sa.Float, nullable=False),
        sa.Column("processor_time_ms", sa.Float, nullable=False),
        sa.Column("execution_ms", sa.Float, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("worker_id", sa.String(100), nullable=False),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("stdout_size", sa.BigInteger, nullable=True),
        sa.Column("stderr_size", sa.BigInteger, nullable=True),
        sa.Column("exit_code", sa.Integer, nullable=True),
    )
    op.create_table(
        "tasks_values",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("task_id", sa.String(40), sa.ForeignKey("tasks_tasks.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("owner", sa.String(40), nullable=False),
        sa.Column("expression", sa.Text, nullable=False),
        sa.Column("file", sa.Text, nullable=False),
        sa.Column("line_number", sa.Integer, nullable=False),
        sa.Column("ux", sa.Text, nullable=False),
        sa.Column("sample_count", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "tasks_plots",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("owner", sa.String(40), nullable=False, index=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("task_id", sa.String(40), nullable=False),
        sa.Column("value_id", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tasks_plots")
    op.drop_table("tasks_values")
    op.drop_table("tasks_tasks")
