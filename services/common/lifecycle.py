"""The build and task status lifecycle of the Signaloid API text."""
from __future__ import annotations

import time

ACCEPTED, INITIALISING, IN_PROGRESS = "Accepted", "Initialising", "In Progress"
COMPLETED, CANCELLED, STOPPED, FAILED, RESCHEDULED = (
    "Completed", "Cancelled", "Stopped", "Failed", "Rescheduled")

STATUSES = (ACCEPTED, INITIALISING, IN_PROGRESS, COMPLETED, CANCELLED, STOPPED, FAILED, RESCHEDULED)
ACTIVE = frozenset({ACCEPTED, INITIALISING, IN_PROGRESS, RESCHEDULED})
FINAL = frozenset({COMPLETED, CANCELLED, STOPPED, FAILED})


def transition(status: str, message: str = "") -> dict:
    """One StatusTransitions entry, as stored (JSON) and returned."""
    return {"Status": status, "Timestamp": int(time.time()), "Message": message}


def check_status_filter(values) -> list[str]:
    """Validates `?status=` values (case-insensitive) and returns them canonical."""
    from . import errors
    by_lower = {s.lower(): s for s in STATUSES}
    out = []
    for value in values:
        for part in value.split(","):
            canonical = by_lower.get(part.strip().lower())
            if canonical is None:
                raise errors.InvalidArgument(
                    f"unknown status {part!r}: use one of {', '.join(STATUSES)}", field="status")
            out.append(canonical)
    return out
