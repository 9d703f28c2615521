"""Authentication and key management end to end through the gateway: both
credential styles, signatures and their failure modes, key lifecycle, owner
scoping, the rate limit, the auth service down, internal gRPC with an API key."""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import subprocess
import sys
import time

import grpc
import httpx
import pytest

from penumbra.v1 import auth_pb2, auth_pb2_grpc, events_pb2, events_pb2_grpc
from services.common import urltokens
from services.run import ROOT


def signed(key_id: str, secret: str, method: str, path: str, body: bytes = b"",
           timestamp: str | None = None) -> dict[str, str]:
    """Factory headers, computed as the original client does (plus the optional timestamp)."""
    text = f"{method}\n{path}\n".encode() + body
    if timestamp is not None:
        text = timestamp.encode() + b"\n" + text
    headers = {"X-singularity-apikey": key_id,
               "X-singularity-signature": hmac.new(secret.encode(), text, hashlib.sha512).hexdigest()}
    if timestamp is not None:
        headers["X-singularity-timestamp"] = timestamp
    return headers


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": key}


@contextlib.contextmanager
def auth_restarted_with(stack, **env: str):
    """Runs the auth service with extra environment, then restores it as it was
    (the stack is shared by the whole session)."""
    saved = dict(stack.env)
    stack.stop_process("auth")
    stack.env.update(env)
    try:
        stack.start_service("auth")
        yield
    finally:
        stack.stop_process("auth")
        stack.env.clear()
        stack.env.update(saved)
        stack.start_service("auth")


# -- both styles on a real endpoint ------------------------------------------------

def test_bearer_style_with_and_without_prefix(anon, make_user):
    u = make_user()
    for value in (u.key, "Bearer " + u.key, "bearer  " + u.key):
        r = anon.get("/users/me", headers={"Authorization": value})
        assert r.status_code == 200, r.text
        assert r.json()["UserID"] == u.user_id


def test_factory_style_get_and_post(anon, make_user):
    u = make_user()
    r = anon.get("/keys", headers=signed(u.key_id, u.key, "GET", "/keys"))
    assert r.status_code == 200, r.text
    assert r.json()["UserID"] == u.user_id
    body = json.dumps({"Name": "signed", "ValidUntil": None}).encode()
    r = anon.post("/keys", content=body, headers={"Content-Type": "application/json",
                                                  **signed(u.key_id, u.key, "POST", "/keys", body)})
    assert r.status_code == 200, r.text
    assert r.json()["Owner"] == u.user_id


def test_factory_signature_ignores_the_query(anon, make_user):
    # The original client signs the path only, without the query string.
    u = make_user()
    r = anon.get("/cores", params={"default": "true"}, headers=signed(u.key_id, u.key, "GET", "/cores"))
    assert r.status_code not in (401, 403), r.text   # past the gateway check (the service answers)


def test_wrong_signature_is_403(anon, make_user):
    u = make_user()
    headers = signed(u.key_id, "not-the-secret", "GET", "/keys")
    r = anon.get("/keys", headers=headers)
    assert r.status_code == 403
    assert "signature does not match" in r.json()["message"]


def test_body_changed_after_signing_is_403(anon, make_user):
    u = make_user()
    headers = signed(u.key_id, u.key, "POST", "/keys", b'{"Name": "a"}')
    r = anon.post("/keys", content=b'{"Name": "b"}', headers={"Content-Type": "application/json", **headers})
    assert r.status_code == 403
    assert anon.get("/keys", headers=bearer(u.key)).json()["Count"] == 1   # nothing was created


def test_path_and_method_changed_after_signing_are_403(anon, make_user):
    u = make_user()
    other = make_user()
    r = anon.delete(f"/keys/{other.key_id}", headers=signed(u.key_id, u.key, "DELETE", "/keys/key_x"))
    assert r.status_code == 403
    r = anon.delete("/keys", headers=signed(u.key_id, u.key, "GET", "/keys"))
    assert r.status_code == 403


def test_missing_signature_and_unknown_key_id_are_401(anon, make_user):
    u = make_user()
    r = anon.get("/keys", headers={"X-singularity-apikey": u.key_id})
    assert r.status_code == 401 and "signature" in r.json()["message"]
    r = anon.get("/keys", headers=signed("key_" + "0" * 32, u.key, "GET", "/keys"))
    assert r.status_code == 401 and "unknown API key" in r.json()["message"]
    # The secret is not a KeyID.
    r = anon.get("/keys", headers=signed(u.key, u.key, "GET", "/keys"))
    assert r.status_code == 401


# -- the timestamped form: replay protection --------------------------------------

def test_timestamped_request_works_once(anon, make_user):
    u = make_user()
    headers = signed(u.key_id, u.key, "GET", "/users/me", timestamp=f"{time.time():.3f}")
    first = anon.get("/users/me", headers=headers)
    assert first.status_code == 200, first.text
    replay = anon.get("/users/me", headers=headers)
    assert replay.status_code == 401
    assert "already used" in replay.json()["message"]
    # A fresh timestamp signs a new request.
    again = anon.get("/users/me", headers=signed(u.key_id, u.key, "GET", "/users/me",
                                                 timestamp=f"{time.time() + 0.001:.3f}"))
    assert again.status_code == 200


def test_stale_and_future_timestamps_are_401(anon, make_user):
    u = make_user()
    for ts in (time.time() - 301, time.time() + 301, time.time() - 86400):
        r = anon.get("/keys", headers=signed(u.key_id, u.key, "GET", "/keys", timestamp=str(int(ts))))
        assert r.status_code == 401, (ts, r.text)
        assert "clock" in r.json()["message"]
    r = anon.get("/keys", headers=signed(u.key_id, u.key, "GET", "/keys", timestamp="yesterday"))
    assert r.status_code == 401 and "Unix time" in r.json()["message"]


def test_timestamped_signature_cannot_be_replayed_as_the_plain_form(anon, make_user):
    # Dropping the timestamp header and moving it into the body must not verify.
    u = make_user()
    ts = str(int(time.time()))
    body = b'{"Name": "x"}'
    headers = signed(u.key_id, u.key, "POST", "/keys", body, timestamp=ts)
    del headers["X-singularity-timestamp"]
    r = anon.post("/keys", content=ts.encode() + b"\n" + body, headers=headers)
    assert r.status_code == 403


# -- key lifecycle ------------------------------------------------------------------

def test_key_create_list_delete_shapes(anon, make_user):
    u = make_user()
    r = anon.post("/keys", headers=bearer(u.key), json={"Name": "ci", "ValidUntil": None})
    assert r.status_code == 200, r.text
    created = r.json()
    assert created["Object"] == "Key" and created["Name"] == "ci" and created["Owner"] == u.user_id
    assert created["Key"].startswith("pnb_") and created["KeyID"].startswith("key_")
    assert created["ValidUntil"] is None and isinstance(created["CreatedAt"], int)

    until = int(time.time()) + 3600
    timed = anon.post("/keys", headers=bearer(u.key), json={"Name": "timed", "ValidUntil": until}).json()
    assert timed["ValidUntil"] == until

    listed = anon.get("/keys", headers=bearer(created["Key"])).json()
    assert listed["UserID"] == u.user_id and listed["Count"] == 3
    assert {k["KeyID"] for k in listed["Keys"]} == {u.key_id, created["KeyID"], timed["KeyID"]}
    assert all("Key" not in k for k in listed["Keys"]), "secrets must never be listed"

    r = anon.delete(f"/keys/{created['KeyID']}", headers=bearer(u.key))
    assert r.status_code == 200 and r.json() == {"message": "OK"}
    assert anon.delete(f"/keys/{created['KeyID']}", headers=bearer(u.key)).status_code == 404
    assert anon.get("/keys", headers=bearer(u.key)).json()["Count"] == 2


def test_bad_key_requests_are_400(api):
    assert api.post("/keys", json={"Name": ""}).status_code == 400
    r = api.post("/keys", json={"Name": "old", "ValidUntil": int(time.time()) - 10})
    assert r.status_code == 400 and "ValidUntil" in r.json()["message"]


def test_revoked_key_is_401_in_both_styles(anon, make_user):
    u = make_user()
    spare = anon.post("/keys", headers=bearer(u.key), json={"Name": "spare"}).json()
    assert anon.delete(f"/keys/{u.key_id}", headers=bearer(spare["Key"])).status_code == 200
    r = anon.get("/users/me", headers=bearer(u.key))
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    r = anon.get("/users/me", headers=signed(u.key_id, u.key, "GET", "/users/me"))
    assert r.status_code == 401 and "revoked" in r.json()["message"]
    assert anon.get("/users/me", headers=bearer(spare["Key"])).status_code == 200


def test_expired_key_is_401_in_both_styles(anon, make_user):
    u = make_user()
    short = anon.post("/keys", headers=bearer(u.key),
                      json={"Name": "short", "ValidUntil": int(time.time()) + 2}).json()
    assert anon.get("/users/me", headers=bearer(short["Key"])).status_code == 200
    time.sleep(3.1)
    r = anon.get("/users/me", headers=bearer(short["Key"]))
    assert r.status_code == 401 and "expired" in r.json()["message"]
    r = anon.get("/users/me", headers=signed(short["KeyID"], short["Key"], "GET", "/users/me"))
    assert r.status_code == 401 and "expired" in r.json()["message"]


# -- owner scoping --------------------------------------------------------------------

def test_two_users_cannot_see_each_others_keys(anon, make_user):
    a, b = make_user(), make_user()
    b_extra = anon.post("/keys", headers=bearer(b.key), json={"Name": "b-extra"}).json()
    a_keys = {k["KeyID"] for k in anon.get("/keys", headers=bearer(a.key)).json()["Keys"]}
    assert a_keys == {a.key_id}
    # Another user's key answers 404 exactly like a missing one.
    other = anon.delete(f"/keys/{b_extra['KeyID']}", headers=bearer(a.key))
    missing = anon.delete(f"/keys/key_{'0' * 32}", headers=bearer(a.key))
    assert other.status_code == missing.status_code == 404
    assert anon.get("/users/me", headers=bearer(b_extra["Key"])).status_code == 200
    assert anon.get("/keys", headers=bearer(b.key)).json()["Count"] == 2


def test_client_cannot_choose_its_user(anon, make_user):
    a, b = make_user(), make_user()
    r = anon.get("/users/me", headers={**bearer(a.key), "x-penumbra-user": b.user_id,
                                       "x-penumbra-internal-token": "guess"})
    assert r.status_code == 200 and r.json()["UserID"] == a.user_id


def test_users_me(anon, make_user, api):
    u = make_user()
    me = anon.get("/users/me", headers=bearer(u.key)).json()
    assert me == {"Object": "User", "UserID": u.user_id, "Username": u.username, "Email": "",
                  "Admin": False, "CreatedAt": me["CreatedAt"]}
    assert api.get("/users/me").json()["Admin"] is True


# -- signed-URL tokens --------------------------------------------------------------

def test_url_token_grants_one_path_and_method(anon, make_user, stack):
    u = make_user()
    secret = stack.settings.secret_key
    token = urltokens.sign(secret, "/users/me", u.user_id, int(time.time()) + 60)
    r = anon.get("/users/me", params={"token": token})
    # The route has no `token` field, so the transcoder rejects the query after auth
    # passed; a 401 would mean the token was refused.
    assert r.status_code not in (401, 403), r.text
    assert anon.get("/keys", params={"token": token}).status_code == 401
    assert anon.post("/users/me", params={"token": token}).status_code == 401
    expired = urltokens.sign(secret, "/users/me", u.user_id, int(time.time()) - 1)
    assert anon.get("/users/me", params={"token": expired}).status_code == 401
    forged = urltokens.sign("not-the-server-secret", "/users/me", u.user_id, int(time.time()) + 60)
    assert anon.get("/users/me", params={"token": forged}).status_code == 401


# -- internal gRPC clients with an API key ------------------------------------------

def test_internal_grpc_with_api_key_in_metadata(stack, make_user):
    u, other = make_user(), make_user()
    with grpc.insecure_channel(stack.settings.service_addr("auth")) as channel:
        keys = auth_pb2_grpc.KeyServiceStub(channel)
        # The key's owner, whatever user the metadata names.
        reply = keys.ListKeys(auth_pb2.ListKeysRequest(),
                              metadata=[("authorization", u.key), ("x-penumbra-user", other.user_id)])
        assert reply.user_id == u.user_id
        with pytest.raises(grpc.RpcError) as err:
            keys.ListKeys(auth_pb2.ListKeysRequest(), metadata=[("authorization", "pnb_nope")])
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # Only admins manage accounts.
        accounts = auth_pb2_grpc.AccountServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            accounts.ListUsers(auth_pb2.ListUsersRequest(), metadata=[("authorization", u.key)])
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        users = accounts.ListUsers(auth_pb2.ListUsersRequest(),
                                   metadata=[("authorization", stack.bootstrap_api_key())])
        assert u.user_id in {x.user_id for x in users.users}
    # Another service asks auth through the same shared interceptor.
    with grpc.insecure_channel(stack.settings.service_addr("events")) as channel:
        health = events_pb2_grpc.HealthServiceStub(channel)
        assert health.GetHealth(events_pb2.GetHealthRequest(), metadata=[("authorization", u.key)])


# -- the admin CLI --------------------------------------------------------------------

def test_admin_cli_creates_a_user_with_a_working_key(stack, anon):
    run = subprocess.run([sys.executable, "-m", "services.auth.admin", "create-user", "cli-made",
                          "--email", "cli@example.org"], cwd=ROOT, env=stack.env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    user_text, key_text = run.stdout.split("\n}\n", 1)
    user, key = json.loads(user_text + "}"), json.loads(key_text)
    me = anon.get("/users/me", headers=bearer(key["Key"])).json()
    assert me["UserID"] == user["UserID"] and me["Email"] == "cli@example.org"
    again = subprocess.run([sys.executable, "-m", "services.auth.admin", "create-user", "cli-made"],
                           cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 1 and "already exists" in again.stderr


# -- rate limit and the auth service down (restart auth; keep these last) -----------

def test_rate_limit_answers_429_with_retry_after(stack, make_user, gateway):
    u = make_user()
    with auth_restarted_with(stack, PENUMBRA_RATE_LIMIT_PER_SECOND="0.5", PENUMBRA_RATE_LIMIT_BURST="3"):
        with httpx.Client(base_url=gateway, headers=bearer(u.key), timeout=30) as c:
            codes = [c.get("/users/me").status_code for _ in range(4)]
            assert codes == [200, 200, 200, 429]
            r = c.get("/users/me")
            assert r.status_code == 429
            assert "too many requests" in r.json()["message"]
            wait = int(r.headers["retry-after"])
            assert 1 <= wait <= 2
            # Another key is not starved by this one.
            other = make_user()
            assert c.get("/users/me", headers=bearer(other.key)).status_code == 200
            time.sleep(wait)
            assert c.get("/users/me").status_code == 200


def test_auth_service_down_is_503_never_open(stack, make_user, anon):
    u = make_user()
    stack.stop_process("auth")
    try:
        for headers in (bearer(u.key), signed(u.key_id, u.key, "GET", "/keys"), {}):
            r = anon.get("/keys", headers=headers)
            assert r.status_code == 503, r.text
            assert "authentication service is unavailable" in r.json()["message"]
        assert anon.get("/ping").status_code == 200
    finally:
        stack.start_service("auth")
    assert anon.get("/keys", headers=bearer(u.key)).status_code == 200
