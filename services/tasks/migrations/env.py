from alembic import context

from services.common.db import run_migrations
from services.tasks.models import TasksBase

run_migrations(context, TasksBase.metadata)
