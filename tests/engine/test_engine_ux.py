"""Ux strings/bytes: byte-exact against the signaloid package, both ways, on its own fixtures."""
import csv
from pathlib import Path

import numpy as np
import pytest
import signaloid.distributional.distributional as _sd
from signaloid.distributional.distributional import DistributionalValue

from engine import ux

FIXTURES = Path(_sd.__file__).parent / "test_ux_value_pairs.csv"


def _pairs():
    with open(FIXTURES) as f:
        return [(s, bytes.fromhex(h)) for s, h in csv.reader(f)]


def test_package_fixtures_roundtrip():
    pairs = _pairs()
    assert len(pairs) > 700
    for s, b in pairs:
        v = ux.decode(s)
        assert v.to_string() == s
        w = ux.decode(b)
        assert w.to_bytes(legacy=b[8] != 0xF0) == b
        d = DistributionalValue.parse(s)
        assert np.array_equal(v.positions, d.positions, equal_nan=True)
        assert [int(m) for m in v.raw_masses] == [int(m) for m in d.raw_masses]
        assert (v.mean == d.mean) or (np.isnan(v.mean) and np.isnan(d.mean))


def test_our_strings_parse_in_package():
    rng = np.random.default_rng(0)
    for n, k in ((10, 256), (5000, 64), (100000, 256)):
        x = rng.lognormal(size=n)
        v = ux.UxValue.from_samples(x, particle=1.5, max_diracs=k)
        for enc in (v.to_string(), v.to_bytes()):
            d = DistributionalValue.parse(enc)
            assert d is not None and d.mean == v.mean
            assert np.array_equal(d.positions, v.positions)
            assert list(d.raw_masses) == list(v.raw_masses)
        assert sum(v.raw_masses) == ux.FIXED_POINT_ONE
        assert abs(v.mean - x.mean()) < 1e-12 * max(1, abs(x.mean()))
    # their export parses in ours, byte for byte
    d = DistributionalValue.from_samples(rng.normal(size=50))
    d.particle_value = 0.25
    assert ux.decode(str(d)).to_string() == str(d)
    assert ux.decode(bytes(d)).to_bytes() == bytes(d)


def test_ttr_is_valid_and_keeps_mean():
    x = np.random.default_rng(1).normal(size=200000)
    v = ux.UxValue.from_samples(x, max_diracs=32)
    d = DistributionalValue.parse(v.to_string())
    assert v.n_diracs == 32 and d.check_is_full_valid_TTR()
    assert v.mean == pytest.approx(x.mean(), abs=1e-12)
    assert v.variance == pytest.approx(0.9954, abs=0.01)  # TTR-32 of N(0,1)


def test_specials_and_point():
    v = ux.UxValue.from_samples([1.0, 3.0, 0.0, np.nan, -np.inf, np.inf])
    d = DistributionalValue.parse(v.to_string())
    assert np.isnan(d.mean) and np.isnan(v.mean)
    import math
    p = ux.UxValue.point(math.pi / 4)  # a real core's particle-only output (signaloid-notes 2.5)
    assert p.to_string("0.785398") == ("0.785398Ux04" "0000000000000000" "3FE921FB54442D18" "00000001"
                                       "3FE921FB54442D18" "8000000000000000")
    assert ux.decode("0.000163Ux0400000000000000003F255D5F56A7AC82000000013F255D5F56A7AC828000000000000000").mean \
        == pytest.approx(0.000163, rel=1e-3)


def test_sampling_matches_distribution():
    x = np.random.default_rng(2).normal(3, 2, size=100000)
    v = ux.UxValue.from_samples(x, max_diracs=64)
    s = v.sample(50000, np.random.default_rng(3))
    assert s.mean() == pytest.approx(3, abs=0.05)
    assert s.std() == pytest.approx(2, rel=0.05)
    assert np.all(ux.UxValue.point(4.0).sample(5) == 4.0)


def test_find_in_text():
    v = ux.UxValue.from_samples([1.0, 2.0])
    text = f"a = {v.to_string('1.500000')} b = 2.0\n"
    found = ux.find_ux_strings(text)
    assert len(found) == 1 and found[0][2] == "1.500000" and found[0][3].mean == 1.5
