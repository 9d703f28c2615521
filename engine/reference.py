"""Reference core, Python side: drive the fork server in the native runtime, read its
records, answer queries by replay, and turn printed numbers into values with samples.

Records (48 bytes, layout of `Rec` in runtime/native/uxhw_runtime.c):
kind u32 | run i32 | a u32 | b u32 | c u32 | d u32 | value f64 | param f64 | param2 f64.

Query replay. A query inside a run (NthMoment, ProbabilityGT, Quantile, Support*, NthMode,
EvaluatePDF, Sample, SampleBatch, GetIndependentCopy, LimitDistributionSupport) needs all runs.
Pass 1 answers each call as a point value would and records (call index k, argument, params)
in every run. Pass 2 re-executes every run with the same random streams and a table of
answers computed over pass 1's arguments (for call k: the statistic of call k's arguments
across runs; GetIndependentCopy: the argument of call k in another run, a random derangement,
the same partner for every member of a joint copy; Sample: the argument in a random run).
When pass 2's arguments equal pass 1's for every answered call, the answers are exact for the
runs; otherwise pass 3 uses pass 2's, and so on (at most MAX_PASSES; a message says if it
did not settle). Programs without queries take one pass.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REC = np.dtype([("kind", "<u4"), ("run", "<i4"), ("a", "<u4"), ("b", "<u4"), ("c", "<u4"), ("d", "<u4"),
                ("value", "<f8"), ("param", "<f8"), ("param2", "<f8")])
K_VALUE, K_QUERY, K_TRACE, K_OK, K_FAIL = 0, 1, 2, 3, 4
Q_MOMENT, Q_MODE, Q_SMIN, Q_SMAX, Q_PGT, Q_QUANTILE, Q_PDF, Q_SAMPLE, Q_COPY, Q_LIMIT = range(1, 11)
MAX_PASSES = 4


@dataclass
class PassResult:
    recs: np.ndarray
    mean_stdout: bytes
    mode: str
    ok_runs: np.ndarray
    failed: dict = field(default_factory=dict)  # run -> (signal, exit status)


def read_pass(outdir: Path) -> PassResult:
    parts = []
    for p in sorted(outdir.glob("*.rec")):
        if p.name == "verify.inproc.rec":
            continue
        b = p.read_bytes()
        n = len(b) // REC.itemsize
        if n:
            parts.append(np.frombuffer(b[: n * REC.itemsize], dtype=REC))
    recs = np.concatenate(parts) if parts else np.zeros(0, dtype=REC)
    ok = recs[recs["kind"] == K_OK]["run"]
    fails = recs[recs["kind"] == K_FAIL]
    failed = {int(r["run"]): (int(r["a"]), int(r["b"])) for r in fails}
    ms = outdir / "mean.stdout"
    mode = (outdir / "mode").read_text().strip() if (outdir / "mode").exists() else "?"
    return PassResult(recs, ms.read_bytes() if ms.exists() else b"", mode, np.unique(ok), failed)


def queries_by_call(pr: PassResult, K: int) -> dict[int, dict]:
    """k -> {type, args[K] (NaN where the run made no call k), params, mean_arg}."""
    q = pr.recs[pr.recs["kind"] == K_QUERY]
    okset = np.zeros(K + 1, dtype=bool)
    okr = pr.ok_runs
    okset[okr[okr >= 0]] = True
    okset[K] = np.any(okr == -1)
    out: dict[int, dict] = {}
    for k in np.unique(q["a"]):
        sel = q[q["a"] == k]
        args = np.full(K + 1, np.nan)
        p1 = np.full(K + 1, np.nan)
        p2 = np.full(K + 1, np.nan)
        present = np.zeros(K + 1, dtype=bool)
        rows = np.where(sel["run"] < 0, K, sel["run"])
        keep = okset[rows]
        rows, sel = rows[keep], sel[keep]
        args[rows], p1[rows], p2[rows], present[rows] = sel["value"], sel["param"], sel["param2"], True
        out[int(k)] = {"type": int(sel["b"][0]) if len(sel) else 0, "args": args, "p1": p1, "p2": p2,
                       "present": present}
    return out


def compute_answers(calls: dict[int, dict], K: int, rng: np.random.Generator) -> np.ndarray:
    """(K+1) x Q table; row K is the mean run."""
    Q = max(calls) + 1 if calls else 0
    A = np.zeros((K + 1, Q))
    groups: dict[float, np.ndarray] = {}
    for k in range(Q):
        c = calls.get(k)
        if c is None:
            continue
        x_all = c["args"][:K][c["present"][:K]]
        x = x_all[np.isfinite(x_all)] if x_all.size else x_all
        t, p1 = c["type"], c["p1"]
        mean_arg = c["args"][K]
        if t == Q_MOMENT:
            n = int(np.nanmax(p1)) if np.any(np.isfinite(p1)) else 1
            if n == 0:
                v = 1.0
            elif x.size == 0:
                v = math.nan
            elif n == 1:
                v = float(np.mean(x))
            else:
                v = float(np.mean((x - x.mean()) ** n))
            A[:, k] = v
        elif t == Q_SMIN:
            A[:, k] = float(np.min(x)) if x.size else math.nan
        elif t == Q_SMAX:
            A[:, k] = float(np.max(x)) if x.size else math.nan
        elif t == Q_QUANTILE:
            p = float(np.nanmax(p1)) if np.any(np.isfinite(p1)) else 0.5
            A[:, k] = float(np.quantile(x, p)) if x.size else math.nan
        elif t == Q_PGT:
            cut = np.where(np.isfinite(p1), p1, 0.0)
            A[:, k] = [float(np.mean(x > c_)) if x.size else math.nan for c_ in cut] if np.unique(cut).size > 1 \
                else (float(np.mean(x > cut[0])) if x.size else math.nan)
        elif t == Q_PDF:
            at = float(np.nanmax(p1)) if np.any(np.isfinite(p1)) else 0.0
            A[:, k] = _kde(x, at)
        elif t == Q_MODE:
            A[:, k] = _mode(x)
        elif t == Q_SAMPLE:
            A[:K, k] = rng.choice(x, size=K) if x.size else math.nan
            A[K, k] = rng.choice(x) if x.size else math.nan
        elif t == Q_COPY:
            g = float(np.nanmax(p1)) if np.any(np.isfinite(p1)) else -1.0
            if g >= 0 and g in groups:
                perm = groups[g]
            else:
                perm = _derangement(K, rng)
                if g >= 0:
                    groups[g] = perm
            args = c["args"][:K]
            src = args[perm]
            bad = ~c["present"][:K][perm]
            if bad.any() and x_all.size:  # partner run made no such call: take any run that did
                src[bad] = rng.choice(x_all, size=int(bad.sum()))
            A[:K, k] = src
            A[K, k] = mean_arg  # the mean run's copy is its own mean
        elif t == Q_LIMIT:
            lo, hi = float(np.nanmax(p1)), float(np.nanmax(c["p2"]))
            args = c["args"][:K]
            inside = x_all[(x_all >= lo) & (x_all <= hi)]
            out = args.copy()
            bad = ~((args >= lo) & (args <= hi))
            out[bad] = rng.choice(inside, size=int(bad.sum())) if inside.size else math.nan
            A[:K, k] = out
            A[K, k] = float(np.mean(inside)) if inside.size else math.nan
    return A


def _derangement(K: int, rng) -> np.ndarray:
    if K < 2:
        return np.zeros(K, dtype=int)
    return (np.arange(K) + rng.integers(1, K, size=K)) % K


def _kde(x: np.ndarray, at: float) -> float:
    if x.size < 2 or np.std(x) == 0:
        return math.inf if x.size and at == x[0] else 0.0
    h = 1.06 * np.std(x) * x.size ** (-0.2)
    return float(np.mean(np.exp(-0.5 * ((at - x) / h) ** 2)) / (h * math.sqrt(2 * math.pi)))


def _mode(x: np.ndarray) -> float:
    if x.size == 0:
        return math.nan
    if x.size < 2 or np.std(x) == 0:
        return float(x[0])
    grid = np.linspace(x.min(), x.max(), 512)
    h = 1.06 * np.std(x) * x.size ** (-0.2)
    d = np.exp(-0.5 * ((grid[:, None] - x[None, ::max(1, x.size // 4000)]) / h) ** 2).sum(axis=1)
    return float(grid[int(np.argmax(d))])


def write_answers(path: Path, A: np.ndarray) -> None:
    K1, Q = A.shape
    with open(path, "wb") as f:
        f.write(np.array([Q, K1 - 1], dtype="<u8").tobytes())
        f.write(np.ascontiguousarray(A, dtype="<f8").tobytes())


def consistent(prev: dict[int, dict], cur: dict[int, dict], answered: int) -> bool:
    """Every answered call saw the same arguments as those its answers were computed from."""
    for k in range(answered):
        a, b = prev.get(k), cur.get(k)
        if (a is None) != (b is None):
            return False
        if a is None:
            continue
        if not np.array_equal(a["present"], b["present"]):
            return False
        pa, pb = a["args"][a["present"]], b["args"][b["present"]]
        if not np.array_equal(pa, pb, equal_nan=True):
            return False
    return True


def collect_values(pr: PassResult, K: int):
    """[(line, pos, samples ordered by run, runs)] for printed numbers, and the same for traces."""
    ok = pr.ok_runs[pr.ok_runs >= 0]
    okmask = np.zeros(K, dtype=bool)
    okmask[ok] = True
    out = []
    v = pr.recs[(pr.recs["kind"] == K_VALUE) & (pr.recs["run"] >= 0)]
    v = v[okmask[v["run"]]]
    if v.size:
        key = v["a"].astype(np.int64) << 32 | v["b"].astype(np.int64)
        order = np.lexsort((v["run"], key))
        v, key = v[order], key[order]
        uk, start = np.unique(key, return_index=True)
        bounds = list(start) + [len(key)]
        for i, kk in enumerate(uk):
            seg = v[bounds[i]:bounds[i + 1]]
            out.append((int(kk >> 32), int(kk & 0xFFFFFFFF), seg["value"].copy(), seg["run"].copy()))
    traces = []
    t = pr.recs[(pr.recs["kind"] == K_TRACE) & (pr.recs["run"] >= 0)]
    t = t[okmask[t["run"]]]
    for tid in np.unique(t["a"]):
        seg = t[t["a"] == tid]
        # the last value each run recorded at that trace point
        last = {}
        for r, val in zip(seg["run"].tolist(), seg["value"].tolist()):
            last[r] = val
        runs = np.array(sorted(last))
        traces.append((int(tid), np.array([last[r] for r in runs]), runs))
    return out, traces
