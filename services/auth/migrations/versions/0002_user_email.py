"""users have an email address (shown by GET /users/me)

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auth_users") as batch:
        batch.add_column(sa.Column("email", sa.String(320), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("auth_users") as batch:
        batch.drop_column("email")
