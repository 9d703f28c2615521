"""Engine benchmark: per core, wall time and Wasserstein-1 distance to a large Monte Carlo
reference, against plain Monte Carlo by fork+exec of a native build — in one run.

    .venv/bin/python tests/benchmarks/bench_engine.py [--quick]

For each program in tests/benchmarks/programs/ (the ground truth is a 2e6-sample numpy
Monte Carlo of the same formula):

* distributional cores (C0-M, C0-XL): run wall time (engine.run, sandbox included) and W1 of
  the printed Ux value (Diracs with their masses) to the truth;
* plain MC: the same program built natively, run N times by fork+exec (each run one sample,
  PENUMBRA_UXHW_MODE=sample). Its per-run cost is measured; its W1 at N samples is measured by
  resampling the truth. "MC time at equal accuracy" = (smallest N with mean W1 <= the core's
  W1) x per-run cost; the ratio to the core's wall time is the speed-up.
* Reference (C0-Reference at Precision 100000): cost per sample, against the program's own
  native run time (main() timed in-process) — target <= 2x native + 20 µs — and the raw
  per-run overheads of fork+exec, fork from an initialised parent, and in-process re-execution.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import wasserstein_distance

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine import build, get_core, run  # noqa: E402
from engine.sandbox import Limits  # noqa: E402
from engine.toolchain import native_dir  # noqa: E402
from engine.ux import find_ux_strings  # noqa: E402

PROGRAMS = Path(__file__).resolve().parent / "programs"
rng = np.random.default_rng(12345)
NT = 2_000_000
TRUTH = {
    "product.c": lambda: rng.normal(2, .5, NT) * rng.normal(3, .2, NT),
    "schlieren.c": lambda: (lambda a, b: (a + b) / (a - b))(rng.uniform(4, 6, NT), rng.uniform(1, 2, NT)),
    "lognormal.c": lambda: (lambda g, u: np.exp(g) * u + g * g)(rng.normal(0, .5, NT), rng.uniform(.5, 1.5, NT)),
}


def native_build(src: Path, out: Path) -> Path:
    nd = native_dir()
    subprocess.run(["gcc", "-O2", "-I", str(nd), str(src), str(nd / "uxhw_runtime.o"), "-Wl,--wrap=main",
                    "-Wl,--export-dynamic-symbol=exit", "-lm", "-ldl", "-o", str(out)], check=True)
    return out


def forkexec_mc(binary: Path, n: int) -> tuple[np.ndarray, float]:
    """n plain MC runs by fork+exec, two at a time (both cores); (samples, seconds)."""
    env = dict(os.environ, PENUMBRA_UXHW_MODE="sample")
    out = []
    t = time.perf_counter()
    procs = []
    for i in range(n):
        env["PENUMBRA_SEED"] = str(i + 1)
        procs.append(subprocess.Popen([str(binary)], stdout=subprocess.PIPE, env=dict(env)))
        if len(procs) >= 2:
            p = procs.pop(0)
            out.append(p.communicate()[0])
    for p in procs:
        out.append(p.communicate()[0])
    dt = time.perf_counter() - t
    vals = np.array([float(o.split(b"=")[1]) for o in out])
    return vals, dt


def mc_w1_curve(truth: np.ndarray, ns, reps=20) -> dict[int, float]:
    return {n: float(np.mean([wasserstein_distance(rng.choice(truth, n), truth[:200000]) for _ in range(reps)]))
            for n in ns}


def native_main_time(binary: Path, tmp: Path) -> float:
    """Seconds per main() call, in-process (Reference in-process mode, runs serial, 1 worker)."""
    times = []
    for n in (2000, 20000):
        d = tmp / f"nm{n}"
        d.mkdir(exist_ok=True)
        env = dict(os.environ, PENUMBRA_UXHW_MODE="reference", PENUMBRA_RUNS=str(n), PENUMBRA_WORKERS="1",
                   PENUMBRA_OUTDIR=str(d), PENUMBRA_INPROCESS="1")
        t = time.perf_counter()
        subprocess.run([str(binary)], env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return (times[1] - times[0]) / 18000


def raw_overheads(binary: Path, tmp: Path) -> dict[str, float]:
    """Per-run seconds of the runtime's strategies, outside the sandbox, 2 workers."""
    res = {}
    for name, ip, n in (("in-process", "1", 100000), ("fork per run", "0", 5000)):
        d = tmp / f"raw{ip}"
        d.mkdir(exist_ok=True)
        env = dict(os.environ, PENUMBRA_UXHW_MODE="reference", PENUMBRA_RUNS=str(n), PENUMBRA_WORKERS="2",
                   PENUMBRA_OUTDIR=str(d), PENUMBRA_INPROCESS=ip)
        t = time.perf_counter()
        subprocess.run([str(binary)], env=env, check=True, stdout=subprocess.DEVNULL)
        res[name] = (time.perf_counter() - t) / n
    _, dt = forkexec_mc(binary, 1000)
    res["fork+exec (Python Popen)"] = dt / 1000
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    progs = ["product.c"] if a.quick else sorted(TRUTH)
    cores = ["C0-M", "C0-XL"]
    ref_n = 20000 if a.quick else 100000
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmpd:
        tmp = Path(tmpd)
        os.chmod(tmp, 0o711)
        print(f"{'program':<12} {'core':<14} {'wall ms':>9} {'W1':>10} {'MC N@W1':>9} {'MC ms@W1':>10} {'speed-up':>9}")
        summary = []
        for prog in progs:
            src = PROGRAMS / prog
            truth = TRUTH[prog]()
            nb = native_build(src, tmp / (prog + ".native"))
            mc_vals, mc_dt = forkexec_mc(nb, 400)
            per_run = mc_dt / 400
            ns = [2 ** k for k in range(5, 21)]
            curve = mc_w1_curve(truth, ns)

            def eq(w1):
                for n in ns:
                    if curve[n] <= w1:
                        return n
                return ns[-1]

            for cname in cores:
                core = get_core(cname)
                b = build(src, core=core, language="C", out_dir=tmp / f"b-{prog}-{cname}")
                if not b.ok:
                    print(f"{prog:<12} {cname:<14} build failed: {b.message}")
                    continue
                run(b, work_dir=tmp / "warm", seed=1)  # warm caches
                t = time.perf_counter()
                r = run(b, work_dir=tmp / f"w-{prog}-{cname}", seed=2)
                wall = (time.perf_counter() - t) * 1000
                (_, _, _, v), = find_ux_strings(r.stdout)[:1]
                w1 = wasserstein_distance(v.positions, truth[:400000], u_weights=v.masses)
                n_eq = eq(w1)
                mc_ms = n_eq * per_run * 1000
                summary.append((cname, mc_ms / wall))
                print(f"{prog:<12} {cname:<14} {wall:>9.1f} {w1:>10.5f} {n_eq:>9d} {mc_ms:>10.0f} {mc_ms / wall:>8.0f}x")
            # Reference core
            core = get_core("C0-Reference").with_precision(ref_n)
            b = build(src, core=core, language="C", out_dir=tmp / f"b-{prog}-ref")
            t = time.perf_counter()
            r = run(b, work_dir=tmp / f"w-{prog}-ref", seed=3, limits=Limits(wall_s=120, cpu_s=600))
            wall = (time.perf_counter() - t) * 1000
            w1 = wasserstein_distance(r.values[0].samples, truth[:400000])
            mc_ms = ref_n * per_run * 1000
            print(f"{prog:<12} {'C0-Reference':<14} {wall:>9.1f} {w1:>10.5f} {ref_n:>9d} {mc_ms:>10.0f} {mc_ms / wall:>8.1f}x"
                  f"   ({wall * 1000 / ref_n:.2f} µs/sample, mode {r.stats.get('mode')})")
            w1mc = wasserstein_distance(mc_vals, truth[:400000])
            print(f"{prog:<12} {'plain MC':<14} {mc_dt * 1000:>9.1f} {w1mc:>10.5f} {400:>9d}   "
                  f"(fork+exec {per_run * 1e6:.0f} µs/run)")
            nat = native_main_time(nb, tmp)
            per_sample = wall / 1000 / ref_n
            target = 2 * nat + 20e-6
            print(f"{prog:<12} Reference cost/sample {per_sample * 1e6:.2f} µs vs target 2x native ({nat * 1e6:.2f} µs)"
                  f" + 20 µs = {target * 1e6:.2f} µs: {'met' if per_sample <= target else 'NOT met'}")
        print("\nraw per-run overhead of the native runtime (product.c, 2 workers, no sandbox):")
        nb = native_build(PROGRAMS / "product.c", tmp / "raw.native")
        for k, v in raw_overheads(nb, tmp).items():
            print(f"  {k:<28} {v * 1e6:9.2f} µs/run")
        if summary:
            print("\nmin speed-up at equal accuracy: " +
                  ", ".join(f"{c} {min(s for cc, s in summary if cc == c):.0f}x" for c in cores))


if __name__ == "__main__":
    main()
