"""The ext_authz Check in process: a real KeyStore on SQLite, a fake clock."""
from __future__ import annotations

import time

import pytest
from envoy.service.auth.v3 import external_auth_pb2

from services.auth.authz import Authorization, factory_signature, user_of
from services.auth.guards import RateLimit, RateLimiter
from services.auth.keystore import KeyStore
from services.common import config
from services.common.db import Database


@pytest.fixture
def keys(tmp_path, monkeypatch):
    monkeypatch.setenv("PENUMBRA_DATA_DIR", str(tmp_path))
    db = Database("auth", config.load())
    db.migrate()
    return KeyStore(db, "server-key")


def check(authz, method="GET", path="/keys", body=b"", **headers):
    request = external_auth_pb2.CheckRequest()
    http = request.attributes.request.http
    http.method, http.path, http.raw_body = method, path, body
    http.headers.update({k.replace("_", "-"): v for k, v in headers.items()})
    reply = authz.Check(request, None)
    return user_of(reply), reply.denied_response.status.code, reply


def test_secrets_are_not_stored_in_plain_text(keys):
    user = keys.create_user("alice")
    key, secret = keys.create_key(user.id, "k")
    assert secret not in repr(key.secret_encrypted) and key.secret_sha256 != secret
    assert keys.check_secret(secret).user_id == user.id
    assert keys.check_key_id(key.id).secret == secret


def test_timestamp_window_edges_and_replay(keys):
    now = [1_800_000_000.0]
    authz = Authorization(keys, RateLimiter(RateLimit(0, 1)), "url-secret", clock=lambda: now[0])
    user = keys.create_user("bob")
    key, secret = keys.create_key(user.id, "k")

    def timestamped(ts: str):
        sig = factory_signature(secret, "GET", "/keys", b"", ts)
        return check(authz, x_singularity_apikey=key.id, x_singularity_signature=sig,
                     x_singularity_timestamp=ts)

    assert timestamped(str(now[0] - 300))[0] == user.id
    assert timestamped(str(now[0] + 300))[0] == user.id
    assert timestamped(str(now[0] - 301))[1] == 401
    assert timestamped(str(now[0] + 301))[1] == 401
    assert timestamped(str(now[0] - 300))[1] == 401     # replay of the first
    now[0] += 601                                        # long after: stale, not "replay"
    assert "clock" in timestamped(str(now[0] - 601))[2].denied_response.body


def test_rate_limited_signature_can_be_retried(keys):
    tick = [0.0]
    authz = Authorization(keys, RateLimiter(RateLimit(per_second=1, burst=1), lambda: tick[0]), "url-secret")
    user = keys.create_user("carol")
    key, secret = keys.create_key(user.id, "k")
    assert check(authz, authorization=secret)[0] == user.id      # uses the only token
    ts = f"{time.time():.3f}"
    sig = factory_signature(secret, "GET", "/keys", b"", ts)
    headers = dict(x_singularity_apikey=key.id, x_singularity_signature=sig, x_singularity_timestamp=ts)
    _, status, reply = check(authz, **headers)
    assert status == 429
    assert [h.header.value for h in reply.denied_response.headers if h.header.key == "retry-after"] == ["1"]
    tick[0] += 1
    assert check(authz, **headers)[0] == user.id                  # not refused as a replay
