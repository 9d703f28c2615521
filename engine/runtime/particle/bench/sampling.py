"""Input sampling design benchmark: Wasserstein-1 of program outputs against exact / large-MC
references, for i.i.d. random inputs (UX_SAMPLING=0), jittered stratified (1) and midpoint
stratified (2), averaged over seeds. Run: .venv/bin/python engine/runtime/particle/bench/sampling.py"""
import os, subprocess, sys, tempfile
from pathlib import Path
import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent
RT = HERE.parent
SEEDS = int(os.environ.get("SEEDS", "20"))
SAMPLINGS = [int(x) for x in os.environ.get("SAMPLINGS", "0,1,2,3").split(",")]


def build(m, sampling, out):
    subprocess.run(["g++", "-std=gnu++17", "-O2", "-fno-math-errno", "-fpermissive", "-w", f"-DUX_M={m}",
                    "-DUX_PRECISION=32", f"-DUX_SAMPLING={sampling}", "-DUX_LANG_C=1", "-include", str(RT / "prelude.hpp"),
                    "-I", str(RT / "include"), "-x", "c++", str(HERE / "sampling.c"), "-x", "none", "-o", out, "-lm"], check=True)


def w1_exact_cdf(samples, cdf, lo, hi, n=200001):
    x = np.linspace(lo, hi, n)
    emp = np.searchsorted(np.sort(samples), x, side="right") / len(samples)
    return np.trapezoid(np.abs(emp - cdf(x)), x)


def irwin_hall_cdf(x, n=4):
    from math import comb, factorial
    x = np.asarray(x); out = np.zeros_like(x)
    for k in range(n + 1):
        out += (-1) ** k * comb(n, k) * np.clip(x - k, 0, None) ** n
    return np.clip(out / factorial(n), 0, 1)


def main():
    rng = np.random.default_rng(1)
    ref_prod = rng.normal(2, .5, 10_000_000) * rng.normal(3, .4, 10_000_000)
    u, v, w = rng.uniform(1, 2, 10_000_000), rng.uniform(.5, 1.5, 10_000_000), rng.normal(0, .3, 10_000_000)
    ref_mix = u * v + np.sin(w * u)
    refs = {
        "sum4u": lambda s: w1_exact_cdf(s, irwin_hall_cdf, -0.01, 4.01),
        "prodg": lambda s: stats.wasserstein_distance(s, ref_prod[:1_000_000]),
        "expg": lambda s: w1_exact_cdf(s, stats.lognorm(1).cdf, 0, 400),
        "mix3": lambda s: stats.wasserstein_distance(s, ref_mix[:1_000_000]),
    }
    names = {0: "random", 1: "stratified (jittered)", 2: "stratified (midpoint)", 3: "Owen-scrambled Sobol"}
    with tempfile.TemporaryDirectory() as td:
        for m in (256, 1024):
            res = {}
            for sm in SAMPLINGS:
                exe = f"{td}/s{m}_{sm}"; build(m, sm, exe)
                acc = {k: [] for k in refs}
                for seed in range(SEEDS):
                    out = subprocess.run([exe], capture_output=True, text=True, env={**os.environ, "PENUMBRA_SEED": str(seed + 1)}, check=True).stdout
                    for line in out.splitlines():
                        name, *vals = line.split()
                        acc[name].append(refs[name](np.array(vals, float)))
                res[sm] = {k: float(np.mean(x)) for k, x in acc.items()}
            print(f"M={m}: mean W1 over {SEEDS} seeds")
            print("  design                  " + "  ".join(f"{k:>9}" for k in refs))
            for sm, r in res.items():
                print(f"  {names[sm]:<22}  " + "  ".join(f"{r[k]:9.5f}" for k in refs))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
