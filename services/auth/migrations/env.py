from alembic import context

from services.auth.models import AuthBase
from services.common.db import run_migrations

run_migrations(context, AuthBase.metadata)
