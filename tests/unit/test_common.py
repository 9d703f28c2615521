"""The common package's small pieces: ids, time filters, blobs, paging, migrations."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from services.common import blobs, config, errors, ids, paging


def test_ids_have_the_signaloid_shape():
    value = ids.new_id("task")
    assert ids.is_id("task", value)
    assert value.startswith("tsk_") and len(value) == 36
    assert not ids.is_id("task", "tsk_" + "G" * 32)
    assert not ids.is_id("build", value)


@pytest.mark.parametrize("text,expected", [
    ("2026-01-31T12:00:00Z", 1769860800), ("2026-01-31T12:00:00", 1769860800),
    ("2026-01-31", 1769817600), ("1769860800", 1769860800), ("", None)])
def test_parse_time_accepts_iso_and_epoch(text, expected):
    assert paging.parse_time(text, "from") == expected


def test_parse_time_rejects_garbage_with_a_message():
    with pytest.raises(errors.InvalidArgument, match="from='yesterday' is not a date"):
        paging.parse_time("yesterday", "from")


def test_blob_store_round_trip_and_containment(tmp_path):
    store = blobs.LocalBlobStore(tmp_path)
    store.put("tasks/t1/stdout", b"hello")
    assert store.get("tasks/t1/stdout") == b"hello"
    assert b"".join(store.iter_chunks("tasks/t1/stdout", 2)) == b"hello"
    assert store.size("tasks/t1/stdout") == 5
    with pytest.raises(blobs.BlobNotFound):
        store.get("tasks/t2/stdout")
    with pytest.raises(ValueError):
        store.put("../escape", b"x")
    store.delete_prefix("tasks/t1")
    assert not store.exists("tasks/t1/stdout")


def test_failed_blob_write_leaves_no_partial_blob(tmp_path):
    store = blobs.LocalBlobStore(tmp_path)

    def chunks():
        yield b"part"
        raise OSError("disk full")
    with pytest.raises(OSError):
        store.put_stream("a/b", chunks())
    assert not store.exists("a/b")
    assert os.listdir(tmp_path / "a") == []


def _settings(tmp_path, url=None):
    os.environ["PENUMBRA_DATA_DIR"] = str(tmp_path)
    if url:
        os.environ["PENUMBRA_DATABASE_URL"] = url
    try:
        return config.load()
    finally:
        os.environ.pop("PENUMBRA_DATA_DIR")
        os.environ.pop("PENUMBRA_DATABASE_URL", None)


def _postgres_url():
    url = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://")).connect().close()
    except Exception:
        pytest.skip("no PostgreSQL server at 127.0.0.1:5432 (the CI machine has one)")
    return url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_auth_migrations_run_twice_and_store_keys(tmp_path, backend):
    from services.auth.keystore import KeyStore
    from services.common.db import Database
    url = _postgres_url() if backend == "postgresql" else None
    settings = _settings(tmp_path, url)
    db = Database("auth", settings)
    db.migrate()
    db.migrate()   # idempotent: a second start finds the schema current
    keys = KeyStore(db, settings.secret_key)
    user = keys.ensure_user("unit-" + ids.new_id("user"))
    key, secret = keys.create_key(user, "k")
    assert keys.check_secret(secret).user_id == user
    assert keys.check_key_id(key.id).secret == secret
    assert keys.revoke(user, key.id)
    assert keys.check_secret(secret).problem.startswith("this API key was revoked")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("service", ["builds", "tasks"])
def test_every_service_migrates_on_both_backends(tmp_path, backend, service):
    from services.common.db import Database
    url = _postgres_url() if backend == "postgresql" else None
    db = Database(service, _settings(tmp_path, url))
    db.migrate()
    db.migrate()
    with db.engine.connect() as connection:
        version_table = f"alembic_version_{service}"
        assert connection.execute(sa.text(f"SELECT count(*) FROM {version_table}")).scalar() == 1
