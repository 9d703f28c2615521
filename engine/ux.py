"""Ux strings and Ux bytes, byte-compatible with the `signaloid` package.

Layout (signaloid.distributional.DistributionalValue.export/parse, Signaloid's
"Ux data format" docs):

* Ux string: ``[particle]Ux`` + upper-case hex of big-endian fields
  ``UR_type u8 | sample_count u64 | mean f64 | N u32 | N x (position f64|f32, mass u64)``.
* Ux bytes: ``particle f64 | F0 00 00 | UR_type u8 | ...`` little-endian; the legacy
  layout has no ``F0 00 00`` marker. Masses are fixed point, 2**63 == 1.0.

Decoding keeps every field (including the particle text and sample_count, which the
package ignores) so that decode->encode reproduces the input exactly; encoding of
fresh values follows the package's export (sample_count = number of Diracs,
particle written as Python ``str(float)``).
"""
from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field

import numpy as np

FIXED_POINT_ONE = 1 << 63
UX_BINARY_FORMAT_MARKER = 0xF0
MAX_DIRACS = 10000  # the package refuses more; so do we.

UR_TYPE_UNSPECIFIED = 0x00
UR_TYPE_ATHENS = 0x04
UR_TYPE_JUPITER = 0x06
UR_TYPE_ATLAS = 0x07
UR_TYPE_NO_UNCERTAINTY_TRACKING = 0x09

# Same pattern as the package's parser, so what we accept they accept.
UX_STRING_RE = re.compile(r"^([-+]?\d*\.?\d+(?:e[-+]\d+)?|nan|[-+]?inf)?Ux([0-9A-Fa-f]+)$")
# Finds Ux strings inside program output (docs.signaloid.io regex, widened for nan/inf).
UX_IN_TEXT_RE = re.compile(
    r"((?:[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)|[-+]?nan|[-+]?inf)?Ux([0-9a-fA-F]{40,})"
)


class UxFormatError(ValueError):
    pass


@dataclass
class UxValue:
    """A distributional value: a particle plus Dirac deltas (position, fixed-point mass)."""

    positions: np.ndarray
    raw_masses: list[int]
    mean: float  # the header mean, as written by the core (TTR keeps it exact)
    particle: float | None = None
    particle_text: str | None = None  # exact text before "Ux", when decoded
    ur_type: int = UR_TYPE_ATHENS
    sample_count: int | None = None  # None: write N, as the package does
    double_precision: bool = True
    _masses: np.ndarray | None = field(default=None, repr=False)

    # ---------- construction ----------
    @classmethod
    def point(cls, x: float, ur_type: int = UR_TYPE_ATHENS) -> "UxValue":
        """A particle without distribution: one Dirac of mass 1, sample_count 0 (as real cores print)."""
        return cls(np.array([x], dtype=np.float64), [FIXED_POINT_ONE], float(x), particle=float(x),
                   ur_type=ur_type, sample_count=0)

    @classmethod
    def from_diracs(cls, positions, masses, *, particle: float | None = None,
                    ur_type: int = UR_TYPE_ATHENS, mean: float | None = None) -> "UxValue":
        pos = np.asarray(positions, dtype=np.float64)
        raw = masses_to_raw(np.asarray(masses, dtype=np.float64))
        v = cls(pos, raw, 0.0, particle=particle, ur_type=ur_type)
        v.mean = v.dirac_mean() if mean is None else float(mean)
        return v

    @classmethod
    def from_samples(cls, samples, *, particle: float | None = None, max_diracs: int = 256,
                     ur_type: int = UR_TYPE_ATHENS) -> "UxValue":
        """TTR of equal-weight samples with at most `max_diracs` (power of two) Diracs.

        With n <= max_diracs distinct finite samples every sample keeps its own Dirac.
        NaN/±Inf samples become special Diracs with their share of the mass.
        """
        s = np.asarray(samples, dtype=np.float64).ravel()
        n = s.size
        if n == 0:
            raise ValueError("no samples")
        fin = s[np.isfinite(s)]
        pos_list: list[np.ndarray] = []
        cnt_list: list[np.ndarray] = []
        if fin.size:
            fin = np.sort(fin)
            if fin.size <= max_diracs:
                u, c = np.unique(fin, return_counts=True)
                pos_list.append(u)
                cnt_list.append(c.astype(np.float64))
            else:
                order = max(0, int(math.floor(math.log2(max_diracs))))
                p, c = ttr_sorted(fin, np.ones(fin.size), order)
                pos_list.append(p)
                cnt_list.append(c)
        for special in (np.nan, -np.inf, np.inf):
            k = int(np.sum(np.isnan(s))) if np.isnan(special) else int(np.sum(s == special))
            if k:
                pos_list.append(np.array([special]))
                cnt_list.append(np.array([float(k)]))
        pos = np.concatenate(pos_list)
        cnt = np.concatenate(cnt_list)
        raw = masses_to_raw(cnt / n)
        v = cls(pos, raw, 0.0, particle=particle, ur_type=ur_type)
        v.mean = _special_mean(s) if not np.all(np.isfinite(s)) else float(np.mean(s))
        return v

    # ---------- properties ----------
    @property
    def masses(self) -> np.ndarray:
        if self._masses is None or len(self._masses) != len(self.raw_masses):
            self._masses = np.array([m / FIXED_POINT_ONE for m in self.raw_masses], dtype=np.float64)
        return self._masses

    @property
    def n_diracs(self) -> int:
        return len(self.raw_masses)

    def _finite(self) -> tuple[np.ndarray, np.ndarray]:
        m = self.masses
        keep = np.isfinite(self.positions) & (m > 0)
        return self.positions[keep], m[keep]

    def dirac_mean(self) -> float:
        pos, m = self.positions, self.masses
        if np.any(np.isnan(pos) & (m > 0)):
            return math.nan
        ninf = np.any((pos == -np.inf) & (m > 0))
        pinf = np.any((pos == np.inf) & (m > 0))
        if ninf and pinf:
            return math.nan
        if ninf:
            return -math.inf
        if pinf:
            return math.inf
        tot = float(m.sum())
        return float(np.sum(pos * m) / tot) if tot > 0 else math.nan

    @property
    def variance(self) -> float:
        pos, m = self._finite()
        if m.sum() == 0:
            return math.nan
        mu = float(np.sum(pos * m) / m.sum())
        return float(np.sum(m * (pos - mu) ** 2) / m.sum())

    @property
    def sd(self) -> float:
        v = self.variance
        return math.sqrt(v) if v == v else math.nan

    def central_moment(self, n: int) -> float:
        if n == 0:
            return 1.0
        pos, m = self._finite()
        mu = float(np.sum(pos * m) / m.sum())
        return mu if n == 1 else float(np.sum(m * (pos - mu) ** n) / m.sum())

    def quantile(self, p: float) -> float:
        """Smallest support position whose cumulative mass reaches p (the package's `quantile`)."""
        pos, m = self._finite()
        if pos.size == 0:
            return math.nan
        o = np.argsort(pos)
        cum = np.cumsum(m[o]) / m.sum()
        i = min(int(np.searchsorted(cum, p, side="left")), pos.size - 1)
        return float(pos[o][i])

    # ---------- sampling (signaloid sample_generator semantics) ----------
    def sample(self, n: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """Draws as signaloid.distributional_information_plotting.sample_generator does:
        drop zero masses, merge near-duplicates, piecewise-constant histogram with bin
        boundaries between adjacent Diracs (the package's non-TTR binning), inverse CDF;
        NaN/±Inf drawn by their mass. Uses the package's binning code, our RNG."""
        from signaloid.distributional.distributional import DistributionalValue
        from signaloid.distributional_information_plotting.plot_histogram_dirac_deltas import PlotData
        from signaloid.distributional_information_plotting.sample_generator import generate_cdf_values

        rng = rng or np.random.default_rng()
        dv = DistributionalValue.parse(self.to_bytes())
        finite = dv.finite_dirac_deltas
        specials = [(dd.position, dd.mass) for dd in
                    (dv.nan_dirac_delta, dv.neg_inf_dirac_delta, dv.pos_inf_dirac_delta)
                    if dv.has_special_values and dd.mass > 0]
        fin_mass = sum(dd.mass for dd in finite)
        sp_mass = sum(m for _, m in specials)
        out = np.empty(n)

        def draw_finite(k: int) -> np.ndarray:
            dv.drop_zero_mass_positions()
            dv.combine_dirac_deltas()
            fd = dv.finite_dirac_deltas
            if len(fd) == 1:
                return np.full(k, fd[0].position)
            bp, bw, bh = PlotData.create_binning(fd, 0, False)
            cdf = generate_cdf_values(bp, bw, bh)
            u = rng.uniform(0, 1, size=k)
            i = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, len(cdf) - 2)
            return bp[i] + (bp[i + 1] - bp[i]) * (u - cdf[i]) / (cdf[i + 1] - cdf[i])

        if not finite:
            ps = np.array([m for _, m in specials]) / sp_mass
            return np.array([p for p, _ in specials])[np.clip(np.searchsorted(np.cumsum(ps), rng.uniform(size=n)), 0, len(ps) - 1)]
        if len(finite) == 1 and sp_mass == 0:
            return np.full(n, finite[0].position)
        if sp_mass == 0:
            return draw_finite(n)
        is_fin = rng.uniform(size=n) < fin_mass / (fin_mass + sp_mass)
        k = int(is_fin.sum())
        if k:
            out[is_fin] = draw_finite(k) if len(finite) > 1 else finite[0].position
        if n - k:
            ps = np.array([m for _, m in specials]) / sp_mass
            idx = np.clip(np.searchsorted(np.cumsum(ps), rng.uniform(size=n - k)), 0, len(ps) - 1)
            out[~is_fin] = np.array([p for p, _ in specials])[idx]
        return out

    # ---------- encoding ----------
    def _body(self, big: bool) -> bytes:
        e = ">" if big else "<"
        n = len(self.raw_masses)
        if n > MAX_DIRACS:
            raise UxFormatError(f"{n} Dirac deltas; Ux parsers accept at most {MAX_DIRACS}")
        sc = n if self.sample_count is None else self.sample_count
        parts = [struct.pack(e + "Q", sc), struct.pack(e + "d", self.mean), struct.pack(e + "I", n)]
        pf = e + ("d" if self.double_precision else "f")
        for p, m in zip(self.positions.tolist(), self.raw_masses):
            parts.append(struct.pack(pf, p))
            parts.append(struct.pack(e + "Q", int(m)))
        return b"".join(parts)

    def to_string(self, particle_text: str | None = None) -> str:
        if particle_text is None:
            particle_text = self.particle_text
        if particle_text is None:
            particle_text = str(self.particle) if self.particle is not None else ""
        return particle_text + "Ux" + (struct.pack(">B", self.ur_type) + self._body(True)).hex().upper()

    def to_bytes(self, legacy: bool = False) -> bytes:
        head = struct.pack("<d", self.particle if self.particle is not None else 0.0)
        if not legacy:
            head += bytes([UX_BINARY_FORMAT_MARKER, 0, 0])
        return head + struct.pack("<B", self.ur_type) + self._body(False)

    __str__ = to_string

    def summary(self, quantiles=(0.05, 0.95)) -> dict:
        return {"mean": self.mean, "sd": self.sd, "quantiles": {str(q): self.quantile(q) for q in quantiles}}


def _special_mean(s: np.ndarray) -> float:
    if np.any(np.isnan(s)):
        return math.nan
    ninf, pinf = np.any(s == -np.inf), np.any(s == np.inf)
    if ninf and pinf:
        return math.nan
    return -math.inf if ninf else math.inf


def masses_to_raw(m: np.ndarray) -> list[int]:
    """Fixed-point masses (2**63 = 1) that sum to exactly 2**63 when m sums to 1."""
    tot = float(m.sum())
    if tot <= 0:
        return [0] * len(m)
    raw = [int(x / tot * FIXED_POINT_ONE) for x in m.tolist()]
    # Put the rounding residue on the heaviest Dirac, so the masses sum to one exactly.
    if raw:
        i = int(np.argmax(m))
        raw[i] += FIXED_POINT_ONE - sum(raw)
        raw[i] = max(raw[i], 0)
    return raw


def ttr_sorted(x: np.ndarray, w: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray]:
    """TTR of a sorted weighted discrete distribution: split at the conditional mean,
    `order` levels deep; returns (leaf conditional means, leaf weights). Empty leaves are
    dropped. Mean is preserved exactly (up to rounding)."""
    cw = np.concatenate(([0.0], np.cumsum(w)))
    cxw = np.concatenate(([0.0], np.cumsum(x * w)))
    segs = [(0, x.size)]
    for _ in range(order):
        nxt = []
        for a, b in segs:
            if b - a <= 1:
                nxt.append((a, b))
                continue
            mu = (cxw[b] - cxw[a]) / (cw[b] - cw[a])
            k = int(np.searchsorted(x[a:b], mu, side="left")) + a
            if k in (a, b):  # all equal: nothing to split
                nxt.append((a, b))
            else:
                nxt.extend([(a, k), (k, b)])
        segs = nxt
    pos = np.array([(cxw[b] - cxw[a]) / (cw[b] - cw[a]) for a, b in segs])
    wt = np.array([cw[b] - cw[a] for a, b in segs])
    return pos, wt


# ---------- decoding ----------
def decode(data: str | bytes, double_precision: bool | None = None) -> UxValue:
    """Parse a Ux string, a hex string of Ux bytes, or Ux bytes (either layout)."""
    if isinstance(data, str) and "Ux" not in data:
        try:
            data = bytes.fromhex(data)
        except ValueError as e:
            raise UxFormatError(str(e)) from None
    particle = None
    particle_text = None
    if isinstance(data, str):
        m = UX_STRING_RE.match(data.strip())
        if not m:
            raise UxFormatError(f"not a Ux string: {data[:60]!r}")
        if m.group(1):
            particle_text = m.group(1)
            particle = float(particle_text)
        buf = bytes.fromhex(m.group(2))
        e, off = ">", 0
    else:
        buf = bytes(data)
        if len(buf) < 9:
            raise UxFormatError("Ux bytes too short")
        e = "<"
        particle = struct.unpack("<d", buf[:8])[0]
        off = 11 if buf[8] == UX_BINARY_FORMAT_MARKER else 8
    if len(buf) < off + 21:
        raise UxFormatError("Ux data too short for its header")
    ur_type = buf[off]
    sc = struct.unpack(e + "Q", buf[off + 1:off + 9])[0]
    mean = struct.unpack(e + "d", buf[off + 9:off + 17])[0]
    n = struct.unpack(e + "I", buf[off + 17:off + 21])[0]
    off += 21
    if n > MAX_DIRACS:
        raise UxFormatError(f"{n} Dirac deltas (limit {MAX_DIRACS})")
    dp = True if double_precision is None else double_precision
    if len(buf) < off + n * (16 if dp else 12):
        if double_precision is not None or len(buf) < off + n * 12:
            raise UxFormatError("Ux data shorter than its Dirac count says")
        dp = False
    psz = 8 if dp else 4
    pf = e + ("d" if dp else "f")
    pos = np.empty(n)
    raw = []
    for i in range(n):
        pos[i] = struct.unpack(pf, buf[off:off + psz])[0]
        raw.append(struct.unpack(e + "Q", buf[off + psz:off + psz + 8])[0])
        off += psz + 8
    return UxValue(pos, raw, mean, particle=particle, particle_text=particle_text, ur_type=ur_type,
                   sample_count=sc, double_precision=dp)


def find_ux_strings(text: str) -> list[tuple[int, int, str | None, UxValue]]:
    """(start, end, particle text, value) for each Ux string in program output."""
    out = []
    for m in UX_IN_TEXT_RE.finditer(text):
        try:
            v = decode("Ux" + m.group(2))
        except UxFormatError:
            continue
        if m.group(1):
            v.particle_text = m.group(1)
            try:
                v.particle = float(m.group(1))
            except ValueError:
                pass
        out.append((m.start(), m.end(), m.group(1), v))
    return out
