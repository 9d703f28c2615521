"""In-memory guards of the ext_authz check: the per-key rate limit and the
replay cache of timestamped factory signatures.

Both live in the auth process: with one auth instance (the default) they are
exact; with several behind Envoy each instance keeps its own buckets and cache,
so a key gets up to N times its rate and a replay sent to another instance
inside the window is not caught (a shared store such as a NATS KV bucket
would be the next step).
"""
from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    per_second: float   # refill rate; 0 turns the limit off
    burst: float        # bucket size: requests a key may send at once

    @classmethod
    def from_env(cls) -> "RateLimit":
        def number(name: str, default: str) -> float:
            raw = os.environ.get("PENUMBRA_RATE_LIMIT_" + name, default)
            try:
                value = float(raw)
            except ValueError:
                raise SystemExit(f"PENUMBRA_RATE_LIMIT_{name}={raw!r} is not a number")
            if value < 0:
                raise SystemExit(f"PENUMBRA_RATE_LIMIT_{name} must be >= 0")
            return value
        per_second = number("PER_SECOND", "100")
        return cls(per_second, max(1.0, number("BURST", "200")))


class RateLimiter:
    """A token bucket per key: `burst` tokens, refilled at `per_second`."""

    def __init__(self, limit: RateLimit, clock=time.monotonic):
        self.limit, self.clock = limit, clock
        self._buckets: dict[str, tuple[float, float]] = {}   # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Takes a token: 0 when allowed, else the seconds until one is available."""
        if self.limit.per_second <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.limit.burst, now))
            tokens = min(self.limit.burst, tokens + (now - last) * self.limit.per_second)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > 100_000:
                    self._prune(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.limit.per_second

    def _prune(self, now: float) -> None:
        """Drops buckets that have refilled completely: they equal a fresh one."""
        full_after = self.limit.burst / self.limit.per_second
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}


def retry_after_header(wait: float) -> str:
    """Retry-After takes whole seconds; round up so a retry then succeeds."""
    return str(max(1, math.ceil(wait)))


class ReplayCache:
    """Remembers each accepted timestamped signature until its timestamp leaves
    the window, so the same signed request is accepted once."""

    def __init__(self, window: float, clock=time.time):
        self.window, self.clock = window, clock
        self._seen: dict[bytes, float] = {}   # digest of (key, signature) -> forget after
        self._lock = threading.Lock()
        self._next_prune = 0.0

    @staticmethod
    def _digest(key_id: str, signature: str) -> bytes:
        return hashlib.sha256(f"{key_id}\n{signature}".encode()).digest()[:16]

    def first_use(self, key_id: str, signature: str, timestamp: float) -> bool:
        """True the first time; False for a repeat still inside the window."""
        digest = self._digest(key_id, signature)
        now = self.clock()
        with self._lock:
            if now >= self._next_prune:
                self._seen = {d: t for d, t in self._seen.items() if t > now}
                self._next_prune = now + 10
            if self._seen.get(digest, 0) > now:
                return False
            self._seen[digest] = timestamp + self.window + 1
            return True

    def forget(self, key_id: str, signature: str) -> None:
        """Un-sees a signature whose request was refused anyway (rate limit), so a
        client that retries the same signed request after Retry-After succeeds."""
        with self._lock:
            self._seen.pop(self._digest(key_id, signature), None)
