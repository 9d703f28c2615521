"""List paging and filters shared by the Signaloid-style list endpoints:
newest first, `startKey` = the ContinuationKey of the previous page,
`from`/`to` = ISO 8601 (or epoch seconds) bounds on CreatedAt."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from . import errors

DEFAULT_PAGE = 50
MAX_PAGE = 200


def parse_time(value: str, name: str) -> int | None:
    """ISO 8601 date or date-time (UTC when no zone), or epoch seconds -> epoch seconds."""
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise errors.InvalidArgument(
            f"{name}={value!r} is not a date: use ISO 8601 such as 2026-01-31T12:00:00Z, "
            f"or epoch seconds", field=name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return int(parsed.timestamp())


def page(session, query, model, *, start_key: str, limit: int, from_time: str, to_time: str):
    """Applies filters and keyset paging to `query` over `model` (which has `id`
    and `created_at`); returns (rows, continuation_key or "")."""
    if limit < 0:
        raise errors.InvalidArgument("limit must not be negative", field="limit")
    size = min(limit or DEFAULT_PAGE, MAX_PAGE)
    lo, hi = parse_time(from_time, "from"), parse_time(to_time, "to")
    if lo is not None and hi is not None and lo > hi:
        raise errors.InvalidArgument("from is after to: swap them", field="from")
    if lo is not None:
        query = query.where(model.created_at >= lo)
    if hi is not None:
        query = query.where(model.created_at <= hi)
    if start_key:
        anchor = session.get(model, start_key)
        if anchor is None:
            raise errors.InvalidArgument(
                f"startKey {start_key!r} is not a ContinuationKey of this list", field="startKey")
        query = query.where(sa.or_(model.created_at < anchor.created_at,
                                   sa.and_(model.created_at == anchor.created_at, model.id < anchor.id)))
    rows = list(session.scalars(query.order_by(model.created_at.desc(), model.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more else "")
