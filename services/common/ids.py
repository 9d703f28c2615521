"""Resource ids in the Signaloid shape: a prefix and 32 lowercase hex characters."""
import re
import uuid

PREFIXES = {"user": "usr_", "core": "cor_", "repository": "rep_", "build": "bld_",
            "task": "tsk_", "value": "val_", "key": "key_", "plot": "plt_", "webhook": "wh-"}


def new_id(kind: str) -> str:
    return PREFIXES[kind] + uuid.uuid4().hex


def is_id(kind: str, value: str) -> bool:
    return re.fullmatch(re.escape(PREFIXES[kind]) + "[0-9a-f]{32}", value or "") is not None


def new_uuid() -> str:
    """Factory resources (batches, jobs, data sets) use UUIDs as in their API text."""
    return str(uuid.uuid4())
