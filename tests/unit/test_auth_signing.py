"""Factory signatures and signed-URL tokens."""
from __future__ import annotations

import hashlib
import hmac
import time

from services.common import urltokens
from services.auth.authz import factory_signature


def test_plain_form_is_the_original_clients():
    # singularitytechnologiesapi: hex(HMAC_SHA512(secret, f"{METHOD}\n{PATH}\n{PAYLOAD}"))
    expected = hmac.new(b"s3cret", b"POST\n/batch\n{\"mode\": \"pilot\"}", hashlib.sha512).hexdigest()
    assert factory_signature("s3cret", "POST", "/batch", b'{"mode": "pilot"}') == expected
    assert factory_signature("s3cret", "GET", "/batch", b"") == \
        hmac.new(b"s3cret", b"GET\n/batch\n", hashlib.sha512).hexdigest()


def test_timestamped_form_comes_first_and_never_equals_a_plain_one():
    ts = "1767225600"
    with_ts = factory_signature("k", "POST", "/keys", b"{}", ts)
    assert with_ts == hmac.new(b"k", b"1767225600\nPOST\n/keys\n{}", hashlib.sha512).hexdigest()
    # Moving the timestamp into the body does not reproduce it.
    assert factory_signature("k", "POST", "/keys", ts.encode() + b"\n{}") != with_ts


def test_url_token_roundtrip_and_binding():
    now = int(time.time())
    token = urltokens.sign("server", "/plots/plt_1", "usr_1", now + 60)
    assert urltokens.verify("server", token, "GET", "/plots/plt_1") == ("usr_1", "")
    assert urltokens.verify("server", token, "PUT", "/plots/plt_1")[0] == ""
    assert urltokens.verify("server", token, "GET", "/plots/plt_2")[0] == ""
    assert urltokens.verify("other", token, "GET", "/plots/plt_1")[0] == ""
    user, _, mac = token.split(".")
    assert urltokens.verify("server", f"usr_2.{now + 60}.{mac}", "GET", "/plots/plt_1")[0] == ""
    assert urltokens.verify("server", f"{user}.{now + 999}.{mac}", "GET", "/plots/plt_1")[0] == ""
    expired = urltokens.sign("server", "/plots/plt_1", "usr_1", now - 1)
    assert "expired" in urltokens.verify("server", expired, "GET", "/plots/plt_1")[1]
    assert "malformed" in urltokens.verify("server", "garbage", "GET", "/plots/plt_1")[1]
