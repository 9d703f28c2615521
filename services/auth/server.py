"""The auth service: accounts, API keys, and the gateway's ext_authz check."""
from __future__ import annotations

import os

from envoy.service.auth.v3 import external_auth_pb2_grpc

from penumbra.v1 import auth_pb2_grpc
from services.common import config, server
from services.common.db import Database

from .api import AccountService, KeyService
from .authz import Authorization
from .guards import RateLimit, RateLimiter
from .keystore import KeyStore

BOOTSTRAP_USER = "admin"


def bootstrap(keys: KeyStore, settings: config.Settings) -> None:
    """Make sure the bootstrap admin exists and has a key a person can read once.

    PENUMBRA_BOOTSTRAP_API_KEY, when set, is that key (scripts and tests log in
    without reading output); otherwise a key is made on first start and written
    to <data dir>/bootstrap-api-key, readable by the owner only.
    """
    admin = keys.ensure_user(BOOTSTRAP_USER, is_admin=True)
    key_file = settings.data_dir / "bootstrap-api-key"
    secret = settings.bootstrap_api_key
    if secret:
        if not keys.has_key(secret):
            keys.create_key(admin, "bootstrap", secret=secret)
    elif not key_file.exists():
        _key, secret = keys.create_key(admin, "bootstrap")
    else:
        return
    tmp = key_file.with_suffix(".tmp")
    tmp.write_text(secret + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, key_file)


def register(grpc_server, settings: config.Settings):
    db = Database("auth", settings)
    db.migrate()
    keys = KeyStore(db, settings.secret_key)
    bootstrap(keys, settings)
    external_auth_pb2_grpc.add_AuthorizationServicer_to_server(
        Authorization(keys, RateLimiter(RateLimit.from_env()), settings.secret_key), grpc_server)
    auth_pb2_grpc.add_KeyServiceServicer_to_server(KeyService(keys), grpc_server)
    auth_pb2_grpc.add_AccountServiceServicer_to_server(AccountService(keys), grpc_server)
    return ["envoy.service.auth.v3.Authorization", "penumbra.v1.KeyService",
            "penumbra.v1.AccountService"]


def main() -> None:
    # More threads than the default: every gateway request waits on a Check.
    server.serve("auth", register, max_workers=32)
