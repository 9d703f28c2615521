"""Short-lived signed-URL tokens: `?token=` on download/upload links that real
clients fetch without their API key (docs/api-mapping.md, "Signed URLs").

A token binds one user, one method and one exact path to an expiry time:
`<user>.<expires>.<hex HMAC-SHA256>` over "<METHOD>\\n<path>\\n<user>\\n<expires>",
keyed by a sub-key derived from PENUMBRA_SECRET_KEY (so the same secret never
both encrypts key secrets and signs URLs). The gateway's check accepts a valid
token in place of an API key; the request then runs as that user, on that path
only. Self-contained on purpose: it needs nothing but the server secret.
"""
from __future__ import annotations

import hashlib
import hmac
import time

MAX_LIFETIME = 7 * 24 * 3600


def _subkey(server_secret: str) -> bytes:
    return hmac.new(server_secret.encode(), b"penumbra url tokens v1", hashlib.sha256).digest()


def _mac(server_secret: str, method: str, path: str, user: str, expires: int) -> str:
    text = f"{method.upper()}\n{path}\n{user}\n{expires}".encode()
    return hmac.new(_subkey(server_secret), text, hashlib.sha256).hexdigest()


def sign(server_secret: str, path: str, user: str, expires: int, method: str = "GET") -> str:
    """A token for `method path` as `user`, valid until `expires` (epoch seconds)."""
    if "." in user or not path.startswith("/") or "?" in path:
        raise ValueError("user must not contain '.', path must be a bare absolute path")
    return f"{user}.{int(expires)}.{_mac(server_secret, method, path, user, int(expires))}"


def sign_for(server_secret: str, path: str, user: str, lifetime: int = 3600, method: str = "GET") -> str:
    return sign(server_secret, path, user, int(time.time()) + min(lifetime, MAX_LIFETIME), method)


def verify(server_secret: str, token: str, method: str, path: str) -> tuple[str, str]:
    """(user, "") when the token is valid for `method path` now, else ("", problem)."""
    try:
        user, expires_text, mac = token.split(".")
        expires = int(expires_text)
    except ValueError:
        return "", "malformed token: use the URL exactly as it was handed out"
    expected = _mac(server_secret, method, path, user, expires)
    if not hmac.compare_digest(expected, mac.lower()):
        return "", "this token is not valid for this URL"
    if expires < time.time():
        return "", "this link has expired: ask for a new one"
    return user, ""


def signed_url(settings, path: str, user: str) -> str:
    """An absolute link through the gateway (PENUMBRA_PUBLIC_URL) that `user` can
    fetch without their key, as Signaloid's presigned URLs are fetched.
    `path` may carry a query; the token signs the path alone."""
    token = sign_for(settings.secret_key, path.split("?", 1)[0], user)
    return f"{settings.public_url}{path}{'&' if '?' in path else '?'}token={token}"
