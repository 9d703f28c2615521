"""The auth service's in-memory guards: token bucket and replay cache."""
from __future__ import annotations

import pytest

from services.auth.guards import RateLimit, RateLimiter, ReplayCache, retry_after_header


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refills():
    clock = Clock()
    limiter = RateLimiter(RateLimit(per_second=2, burst=3), clock)
    assert [limiter.acquire("k") for _ in range(3)] == [0, 0, 0]
    wait = limiter.acquire("k")
    assert wait == pytest.approx(0.5)
    assert retry_after_header(wait) == "1"
    clock.now += 0.5
    assert limiter.acquire("k") == 0
    assert limiter.acquire("k") > 0


def test_buckets_are_per_key_and_capped_at_burst():
    clock = Clock()
    limiter = RateLimiter(RateLimit(per_second=1, burst=2), clock)
    limiter.acquire("a"), limiter.acquire("a")
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0
    clock.now += 3600          # a long idle time refills to the burst, not beyond
    assert [limiter.acquire("a") for _ in range(3)][2] > 0


def test_zero_rate_turns_the_limit_off():
    limiter = RateLimiter(RateLimit(per_second=0, burst=1))
    assert all(limiter.acquire("k") == 0 for _ in range(1000))


def test_rate_limit_from_env(monkeypatch):
    monkeypatch.setenv("PENUMBRA_RATE_LIMIT_PER_SECOND", "5")
    monkeypatch.setenv("PENUMBRA_RATE_LIMIT_BURST", "7")
    assert RateLimit.from_env() == RateLimit(5, 7)
    monkeypatch.setenv("PENUMBRA_RATE_LIMIT_BURST", "many")
    with pytest.raises(SystemExit, match="PENUMBRA_RATE_LIMIT_BURST"):
        RateLimit.from_env()


def test_replay_cache_accepts_once_per_window():
    clock = Clock()
    cache = ReplayCache(window=300, clock=clock)
    assert cache.first_use("key_a", "sig", clock.now)
    assert not cache.first_use("key_a", "sig", clock.now)
    assert cache.first_use("key_b", "sig", clock.now)        # scoped to the key
    cache.forget("key_a", "sig")
    assert cache.first_use("key_a", "sig", clock.now)
    clock.now += 302                                          # past the window: pruned
    assert cache.first_use("key_a", "sig", clock.now - 302)
