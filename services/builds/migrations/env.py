from alembic import context

from services.builds.models import BuildsBase
from services.common.db import run_migrations

run_migrations(context, BuildsBase.metadata)
