"""Distributional (particle) executor: programs built with engine.particle.compile_command, run,
and their Ux strings parsed with Signaloid's own `signaloid` package, checked against closed forms."""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from signaloid.distributional import DistributionalValue

from engine import particle

UX_RE = re.compile(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|[-+]?inf)(Ux[0-9A-Fa-f]+)")
PREC = 32  # M = 256 samples, 32-Dirac TTRs


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("particle-cache")
    particle.prepare(d, PREC)
    return d


@pytest.fixture
def build(tmp_path, cache_dir):
    def _build(src: str | dict[str, str], *, language="C", precision=PREC, cflags=()):
        files = src if isinstance(src, dict) else {"main.c" if language == "C" else "main.cpp": src}
        paths = []
        for name, text in files.items():
            p = tmp_path / name
            p.write_text(textwrap.dedent(text))
            paths.append(p)
        exe = tmp_path / "prog"
        argv = particle.compile_command(paths, exe, language=language, precision=precision, cflags=list(cflags),
                                        cache_dir=cache_dir if precision == PREC else None)
        r = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path)
        if r.returncode != 0:
            raise AssertionError(f"compile failed:\n{r.stderr}\nexplained: {particle.explain_compile_error(r.stderr)}")
        return exe
    return _build


def run(exe, *, seed=None, stdin=None, env=None):
    e = {**os.environ, **particle.RUN_ENV, **(env or {})}
    if seed is not None:
        e["PENUMBRA_SEED"] = str(seed)
    r = subprocess.run([str(exe)], capture_output=True, text=True, env=e, input=stdin, timeout=60)
    assert r.returncode == 0, r.stderr
    return r


def values(stdout: str) -> dict[str, DistributionalValue]:
    """`name = <particle>Ux<hex>` lines -> parsed values (parsed by Signaloid's package)."""
    out = {}
    for line in stdout.splitlines():
        m = re.match(r"\s*(\w+)\s*=\s*(\S+)", line)
        if m and UX_RE.fullmatch(m.group(2)):
            v = DistributionalValue.parse(m.group(2))
            assert v is not None, m.group(2)
            out[m.group(1)] = v
    return out


def var(d: DistributionalValue) -> float:
    p, w = np.array(d.positions), np.array(d.masses)
    mu = float(np.sum(p * w))
    return float(np.sum(w * (p - mu) ** 2))


def test_interface():
    assert particle.samples_for(32) >= 32 and particle.samples_for(512) >= 512
    assert particle.samples_for(100) >= 100
    assert particle.ttr_diracs(100) == 64 and particle.ttr_diracs(64) == 64
    argv = particle.compile_command([Path("a.c"), Path("b.c"), Path("x.h")], Path("out"), language="C", precision=64,
                                    cflags=["-O0", "-std=c99", "-DFOO=1", "-lgsl", "-Werror"])
    assert argv[0].endswith("g++") and "-DFOO=1" in argv and "-lgsl" in argv and "-O0" not in argv
    assert "-std=c99" not in argv and "x.h" not in argv and argv.index("-lgsl") > argv.index("b.c")
    assert isinstance(particle.RUN_ENV, dict)


def test_irwin_hall_and_ux_format(build):
    exe = build("""
        #include <stdio.h>
        #include <uxhw.h>
        int main(void) {
            double s = 0.0;
            for (int i = 0; i < 4; i++) s += UxHwDoubleUniformDist(0.0, 1.0);
            printf("s = %lf\\n", s);
            printf("m = %lf\\n", UxHwDoubleNthMoment(s, 1));
            printf("v = %lf\\n", UxHwDoubleNthMoment(s, 2));
            printf("c = %lf\\n", 0.785398163397448279);
            return 0;
        }""")
    out = run(exe).stdout
    v = values(out)
    s = v["s"]
    assert s.UR_type == 4 and len(s.positions) == 32 and s.is_full_valid_TTR
    assert abs(s.mean - 2.0) < 0.01 and abs(sum(s.masses) - 1) < 1e-12
    assert abs(v["v"].mean - 1 / 3) < 0.04 and var(s) == pytest.approx(v["v"].mean, rel=0.03)  # TTR keeps ~all variance
    # a particle-only value prints a one-Dirac Ux string, sample count 0, mass 1.0 (Signaloid's format)
    assert "c = 0.785398Ux0400000000000000003FE921FB54442D18000000013FE921FB54442D188000000000000000" in out


def test_gaussian_product_exp_and_ratio(build):
    exe = build("""
        #include <stdio.h>
        #include <math.h>
        #include <uxhw.h>
        int main(void) {
            double x = UxHwDoubleGaussDist(2.0, 0.5), y = UxHwDoubleGaussDist(3.0, 0.4);
            double p = x * y;
            printf("p = %lf\\n", p);
            printf("pv = %lf\\n", UxHwDoubleNthMoment(p, 2));
            double g = UxHwDoubleGaussDist(0.5, 0.4);
            printf("e = %lf\\n", exp(g));
            double a = UxHwDoubleUniformDist(10.0, 11.0), b = UxHwDoubleUniformDist(1.0, 2.0);
            printf("r = %.6e\\n", (a + b) / (a - b));
            return 0;
        }""", precision=PREC)
    v = values(run(exe).stdout)
    assert v["p"].mean == pytest.approx(6.0, rel=0.01)
    assert v["pv"].mean == pytest.approx(4 * .16 + 9 * .25 + .25 * .16, rel=0.08)
    assert v["e"].mean == pytest.approx(math.exp(0.5 + 0.08), rel=0.01)
    rng = np.random.default_rng(0)
    a, b = rng.uniform(10, 11, 2_000_000), rng.uniform(1, 2, 2_000_000)
    r = (a + b) / (a - b)
    assert v["r"].mean == pytest.approx(r.mean(), rel=0.003)
    assert math.sqrt(var(v["r"])) == pytest.approx(r.std(), rel=0.1)


def test_autocorrelation_and_independent_copy(build):
    exe = build("""
        #include <stdio.h>
        #include <uxhw.h>
        int main(void) {
            double x = UxHwDoubleGaussDist(1.0, 1.0);
            double sq = x * x, ind = x * UxHwDoubleGetIndependentCopy(x), z = x - x;
            printf("sqm = %lf\\nsqv = %lf\\n", UxHwDoubleNthMoment(sq, 1), UxHwDoubleNthMoment(sq, 2));
            printf("inm = %lf\\ninv = %lf\\n", UxHwDoubleNthMoment(ind, 1), UxHwDoubleNthMoment(ind, 2));
            printf("zv = %lf\\n", UxHwDoubleNthMoment(z, 2));
            return 0;
        }""")
    v = {k: d.mean for k, d in values(run(exe).stdout).items()}
    assert v["sqm"] == pytest.approx(2.0, rel=0.03) and v["sqv"] == pytest.approx(6.0, rel=0.15)
    assert v["inm"] == pytest.approx(1.0, abs=0.1) and v["inv"] == pytest.approx(3.0, rel=0.2)
    assert v["zv"] == 0.0


def test_branch_follows_particle(build):
    exe = build("""
        #include <stdio.h>
        #include <uxhw.h>
        int main(void) {
            double x = UxHwDoubleUniformDist(0.0, 1.0), y;   /* particle 0.5 */
            if (x > 0.6) y = 2.0 * x; else y = 3.0 * x;
            printf("y = %lf\\n", y);
            printf("lo = %lf\\nhi = %lf\\n", UxHwDoubleSupportMin(y), UxHwDoubleSupportMax(y));
            int n = x * 10;   /* implicit conversion to int uses the particle */
            printf("n = %d\\n", n);
            return 0;
        }""")
    out = run(exe).stdout
    v = values(out)
    assert v["y"].particle_value == pytest.approx(1.5) and v["y"].mean == pytest.approx(1.5, abs=0.01)
    assert v["lo"].mean < 0.02 and v["hi"].mean > 2.98
    assert "n = 5" in out


def test_queries_against_closed_forms(build):
    exe = build("""
        #include <stdio.h>
        #include <uxhw.h>
        int main(void) {
            double x = UxHwDoubleGaussDist(0.0, 1.0);
            printf("m0 = %lf\\nm1 = %lf\\nm2 = %lf\\nm4 = %lf\\n", UxHwDoubleNthMoment(x, 0), UxHwDoubleNthMoment(x, 1),
                   UxHwDoubleNthMoment(x, 2), UxHwDoubleNthMoment(x, 4));
            printf("pgt = %lf\\nq90 = %lf\\nq50 = %lf\\n", UxHwDoubleProbabilityGT(x, 1.0), UxHwDoubleQuantile(x, 0.9),
                   UxHwDoubleQuantile(x, 0.5));
            printf("pdf0 = %lf\\nmode = %lf\\n", UxHwDoubleEvaluatePDF(x, 0.0), UxHwDoubleNthMode(x, 1));
            double c = 3.0;
            printf("cm1 = %lf\\ncm2 = %lf\\ncq = %lf\\ncp = %lf\\n", UxHwDoubleNthMoment(c, 1), UxHwDoubleNthMoment(c, 2),
                   UxHwDoubleQuantile(c, 0.3), UxHwDoubleProbabilityGT(c, 2.0));
            double e = UxHwDoubleExponentialDist(2.0);
            printf("em = %lf\\nemed = %lf\\n", UxHwDoubleNthMoment(e, 1), UxHwDoubleQuantile(e, 0.5));
            double s = UxHwDoubleSample(x);
            printf("samp = %lf\\n", s);
            return 0;
        }""")
    out = run(exe).stdout
    v = {k: d.mean for k, d in values(out).items()}
    assert v["m0"] == 1.0 and abs(v["m1"]) < 0.01
    assert v["m2"] == pytest.approx(1.0, rel=0.03) and v["m4"] == pytest.approx(3.0, rel=0.1)
    assert v["pgt"] == pytest.approx(0.158655, abs=0.01)
    assert v["q90"] == pytest.approx(1.281552, abs=0.03) and abs(v["q50"]) < 0.02
    assert v["pdf0"] == pytest.approx(0.398942, rel=0.08) and abs(v["mode"]) < 0.25
    assert (v["cm1"], v["cm2"], v["cq"], v["cp"]) == (3.0, 0.0, 3.0, 1.0)
    assert v["em"] == pytest.approx(2.0, rel=0.01) and v["emed"] == pytest.approx(2 * math.log(2), rel=0.02)
    assert re.search(r"samp = -?\d+\.\d+Ux04", out) and values(out)["samp"].UR_order == 1  # a Sample is a particle


def test_creators_match_closed_forms(build):
    from scipy import stats
    dists = {  # name: (call, scipy distribution)
        "uni": ("UxHwDoubleUniformDist(2.0, 5.0)", stats.uniform(2, 3)),
        "gau": ("UxHwDoubleGaussDist(1.0, 2.0)", stats.norm(1, 2)),
        "exo": ("UxHwDoubleExponentialDist(3.0)", stats.expon(scale=3)),
        "gum": ("UxHwDoubleGumbel1Dist(1.0, 2.0)", stats.gumbel_r(1, 2)),
        "lgs": ("UxHwDoubleLogisticDist(1.0, 0.5)", stats.logistic(1, .5)),
        "lap": ("UxHwDoubleLaplaceDist(1.0, 0.5)", stats.laplace(1, .5)),
        "wei": ("UxHwDoubleWeibullDist(1.5, 2.0)", stats.weibull_min(1.5, scale=2)),
        "lgn": ("UxHwDoubleLognormalDist(0.0, 0.5)", stats.lognorm(.5)),
        "bpa": ("UxHwDoubleBoundedparetoDist(2.0, 1.0, 10.0)", stats.truncpareto(2, 10)),
        "bet": ("UxHwDoubleBetaDist(2.0, 5.0)", stats.beta(2, 5)),
        "gam": ("UxHwDoubleGammaDist(0.7, 2.0)", stats.gamma(.7, scale=2)),
        "igm": ("UxHwDoubleInverseGammaDist(4.0, 3.0)", stats.invgamma(4, scale=3)),
        "chi": ("UxHwDoubleChiSquaredDist(3.0)", stats.chi2(3)),
        "fdi": ("UxHwDoubleFDist(5.0, 12.0)", stats.f(5, 12)),
        "stt": ("UxHwDoubleStudentsTDist(5.0)", stats.t(5)),
        "gev": ("UxHwDoubleGEVDist(0.2)", stats.genextreme(-0.2)),
        "flt": ("UxHwFloatGaussDist(1.0f, 2.0f)", stats.norm(1, 2)),
    }
    body = "\n".join(f'{{ double v = {call}; printf("{k} = %lf\\n{k}_q = %lf\\n", v, UxHwDoubleQuantile(v, 0.7)); }}'
                     for k, (call, _) in dists.items())
    exe = build("#include <stdio.h>\n#include <uxhw.h>\nint main(void) {\n" + body + "\nreturn 0;\n}\n")
    v = values(run(exe).stdout)
    for k, (_, d) in dists.items():
        got = v[k]
        assert got.particle_value == pytest.approx(d.mean(), rel=1e-6, abs=1e-9), k   # particle = exact mean
        assert got.mean == pytest.approx(d.mean(), rel=0.03, abs=0.02), k
        assert v[k + "_q"].mean == pytest.approx(d.ppf(0.7), rel=0.03, abs=0.02), k


def test_invalid_parameters_give_nan_and_warning(build):
    exe = build("""
        #include <stdio.h>
        #include <math.h>
        #include <uxhw.h>
        int main(void) {
            double a = UxHwDoubleGaussDist(0.0, -1.0), b = UxHwDoubleUniformDist(2.0, 1.0);
            double c = UxHwDoubleMixture(1.0, 2.0, 1.5), d = UxHwDoubleDistFromSamples(NULL, 0);
            double e = UxHwDoubleBetaDist(-1.0, 1.0), f = UxHwDoubleStudentsTDist(1.0);
            printf("%d %d %d %d %d %d\\n", isnan(a), isnan(b), isnan(c), isnan(d), isnan(e), isnan(f));
            return 0;
        }""")
    r = run(exe)
    assert r.stdout.strip() == "1 1 1 1 1 1"
    assert r.stderr.count("warning") >= 6


def test_dist_from_samples_round_trip_and_mixture(build):
    exe = build("""
        #include <stdio.h>
        #include <uxhw.h>
        int main(void) {
            double s[1000];
            for (int i = 0; i < 1000; i++) s[i] = (i % 10) * 0.5 + (i % 7);
            double d = UxHwDoubleDistFromSamples(s, 1000);
            printf("d = %lf\\ndv = %lf\\n", d, UxHwDoubleNthMoment(d, 2));
            WeightedDoubleSample w[2] = {{1.0, 3.0}, {5.0, 1.0}};
            double wd = UxHwDoubleDistFromWeightedSamples(w, 2);
            printf("wd = %lf\\n", wd);
            double bern = UxHwDoubleMixture(0.0, 1.0, 0.25);
            printf("bern = %lf\\n", bern);
            return 0;
        }""")
    v = values(run(exe).stdout)
    s = np.array([(i % 10) * 0.5 + (i % 7) for i in range(1000)])
    assert v["d"].particle_value == pytest.approx(s.mean()) and v["d"].mean == pytest.approx(s.mean(), rel=0.01)
    assert v["dv"].mean == pytest.approx(s.var(), rel=0.03)
    assert set(np.round(v["d"].positions, 6)) <= set(np.round(np.unique(s), 6)) | set(np.round(v["d"].positions, 6))
    wd = v["wd"]
    assert sorted(zip(wd.positions, np.round(wd.masses, 6))) == [(1.0, 0.75), (5.0, 0.25)]
    assert v["bern"].mean == pytest.approx(0.75) and v["bern"].particle_value == pytest.approx(0.75)  # 0 w.p. 0.25


def test_printf_formats_and_particle_modifier(build):
    exe = build("""
        #include <stdio.h>
        #include <uxhw.h>
        int main(void) {
            double x = UxHwDoubleUniformDist(1.0, 3.0);
            printf("[%Plf] [%.2Plf] [% Pf] [%" SignaloidParticleModifier "lf] [%8.3Pf]\\n", x, x, x, x, x);
            printf("[%.3e]\\n", x);
            printf("[%-14.2f]\\n", x);
            printf("[%d %s %5.1f%%]\\n", 42, "str", 2.5);
            char small[16]; sprintf(small, "%.1f", x);
            printf("[%s]\\n", small);
            fprintf(stderr, "err %lf\\n", x);
            return 0;
        }""")
    r = run(exe)
    lines = r.stdout.splitlines()
    assert lines[0] == "[2.000000] [2.00] [ 2.000000] [2.000000] [   2.000]"
    assert re.fullmatch(r"\[2\.000e\+00Ux04[0-9A-F]+\]", lines[1])
    assert re.fullmatch(r"\[2\.00Ux04[0-9A-F]+          \]", lines[2])   # padding after the Ux string
    assert re.fullmatch(r"\[42 str   2\.5Ux04[0-9A-F]+%\]", lines[3])     # plain doubles carry a Ux too
    assert lines[4] == "[2.0]"                                             # did not fit: particle only
    assert re.search(r"err 2\.000000Ux04", r.stderr)


def test_strtod_sscanf_scanf_of_ux_strings(build):
    exe = build("""
        #include <stdio.h>
        #include <stdlib.h>
        #include <uxhw.h>
        int main(void) {
            double x = UxHwDoubleGaussDist(10.0, 2.0);
            char buf[4096];
            snprintf(buf, sizeof buf, "%lf", x);
            char *end;
            double y = strtod(buf, &end);
            printf("x = %lf\\ny = %lf\\nrest = %d\\n", x, y, (int)(*end == 0));
            double z = atof(buf);
            printf("zv = %Plf\\n", UxHwDoubleNthMoment(z, 2));
            double a; int k;
            char line[4200]; snprintf(line, sizeof line, "%d %s", 7, buf);
            int got = sscanf(line, "%d %lf", &k, &a);
            printf("got = %d k = %d\\n", got, k);
            printf("a = %lf\\n", a);
            float f; double g;
            int n = scanf("%f %lf", &f, &g);
            printf("n = %d\\nf = %lf\\ng = %lf\\n", n, f, g);
            return 0;
        }""")
    x_in = "3.5Ux0400000000000000010000000000000000000000024008000000000000400000000000000040140000000000004000000000000000"
    out = run(exe, stdin=f"1.25 {x_in}\n").stdout
    v = values(out)
    for name in ("y", "a"):
        assert np.allclose(v[name].positions, v["x"].positions) and np.allclose(v[name].masses, v["x"].masses), name
        assert v[name].particle_value == v["x"].particle_value
    assert "rest = 1" in out and "got = 2 k = 7" in out
    assert float(re.search(r"zv = (\S+)", out).group(1)) == pytest.approx(var(v["x"]), rel=1e-6)
    assert "n = 2" in out and v["f"].mean == 1.25 and v["f"].UR_order == 1
    g = v["g"]
    assert g.particle_value == 3.5 and sorted(zip(g.positions, g.masses)) == [(3.0, 0.5), (5.0, 0.5)]


def test_multi_file_program_and_seed(build):
    exe = build({
        "model.c": """
            #include <math.h>
            #include "model.h"
            double power(double v, double r) { return v * v / r; }
        """,
        "model.h": "double power(double v, double r);\n",
        "main.c": """
            #include <stdio.h>
            #include <uxhw.h>
            #include "model.h"
            int main(void) {
                double p = power(UxHwDoubleGaussDist(3.3, 0.01), UxHwDoubleUniformDist(950.0, 1050.0));
                printf("p = %lf\\n", p);
                return 0;
            }""",
    })
    a, b, c = run(exe, seed=1).stdout, run(exe, seed=1).stdout, run(exe, seed=2).stdout
    assert a == b and a != c
    p = values(a)["p"]
    assert p.mean == pytest.approx(3.3 ** 2 * math.log(1050 / 950) / 100, rel=0.002)


def test_cpp_program_cout_and_big_local_arrays(build):
    exe = build("""
        #include <iostream>
        #include <vector>
        #include <algorithm>
        #include <cmath>
        #include <limits>
        #include <uxhw.h>
        int main() {
            double big[20000];  // 20000 values x 2 KiB: needs the large stack
            for (int i = 0; i < 20000; i++) big[i] = UxHwDoubleUniformDist(0.0, 1.0) * 0.0 + i;
            std::vector<double> v = {UxHwDoubleGaussDist(1.0, 0.1), 3.0, 2.0};
            std::sort(v.begin(), v.end());
            double m = std::max(v[0], 0.5);
            std::cout << "m = " << m << "\\n";
            std::cout << "lim = " << (std::numeric_limits<double>::max() > 1e300) << " " << big[19999] << "\\n";
            return 0;
        }""", language="C++")
    out = run(exe, env={}).stdout
    assert values(out)["m"].mean == pytest.approx(1.0, abs=0.02)
    assert "lim = 1 19999Ux04" in out


RUNTIME_PROGRAM = r"""
    #include <stdio.h>
    #include <stdlib.h>
    #include <math.h>
    #include <uxhw.h>
    static double model(void *p, double t) { (void)p; return UxHwDoubleGaussDist(t, 0.5); }
    int main(void) {
        double g = UxHwDoubleGaussDist(1.0, 0.3), u = UxHwDoubleUniformDist(0.5, 2.0), ga = UxHwDoubleGammaDist(2.0, 1.5);
        double b = UxHwDoubleBetaDist(2.0, 5.0), t = UxHwDoubleStudentsTDist(4.0), w = UxHwDoubleWeibullDist(1.5, 2.0);
        double e = exp(g) + sin(u) * atan2(g, u) + fmod(ga, 0.7) + pow(u, 2.5) + pow(u, g) + log1p(b) + cbrt(t) + hypot(w, 1.0);
        printf("e = %lf\nq = %lf\nm = %lf\npdf = %lf\nmom = %lf\npgt = %lf\n", e, UxHwDoubleQuantile(e, 0.9),
               UxHwDoubleNthMode(g, 1), UxHwDoubleEvaluatePDF(g, 1.0), UxHwDoubleNthMoment(e, 3), UxHwDoubleProbabilityGT(e, 3.0));
        double s[5] = {1.0, 2.0, 2.5, 4.0, 8.0};
        double mix = UxHwDoubleMixture(g, u, 0.3), ind = UxHwDoubleGetIndependentCopy(g), ds = UxHwDoubleDistFromSamples(s, 5);
        double lim = UxHwDoubleLimitDistributionSupport(g, 0.8, 1.2), post = UxHwDoubleBayesLaplace(model, NULL, u, 1.2, 3);
        printf("mix = %lf\nind = %lf\nds = %lf\nlim = %lf\npost = %lf\nsmp = %lf\n", mix, ind * g, ds, lim, post, UxHwDoubleSample(g));
        char buf[8192]; snprintf(buf, sizeof buf, "%10.3e|%-8.2f|%Pg", e, g, u);
        double back = strtod(buf, NULL), sc; int n = sscanf(buf, "%lf", &sc);
        printf("buf = %s\nback = %lf\nsc = %d %lf\n", buf, back, n, sc);
        char small[16]; sprintf(small, "%lf", g); printf("small = %s\n", small);
        printf("bad = %lf\n", UxHwDoubleGaussDist(0.0, -1.0));
        return 0;
    }"""


def test_cached_runtime_object_and_self_contained_prelude_agree(cache_dir, tmp_path):
    """With a cache, the prelude only declares the runtime and the prebuilt runtime.o is linked in;
    without one (or with flags that could change the runtime) the prelude is self-contained. Same
    program: byte-identical output for the same seed."""
    src = tmp_path / "rt.c"
    src.write_text(textwrap.dedent(RUNTIME_PROGRAM))
    linked = particle.compile_command([src], tmp_path / "linked", language="C", precision=PREC, cache_dir=cache_dir)
    plain = particle.compile_command([src], tmp_path / "plain", language="C", precision=PREC)
    sensitive = particle.compile_command([src], tmp_path / "x", language="C", precision=PREC, cache_dir=cache_dir,
                                         cflags=["-DUX_SAMPLING=3", "-ffast-math"])
    assert "-DUX_EXTERN_RUNTIME=1" in linked and any(a.endswith("runtime.o") for a in linked)
    for argv in (plain, sensitive):
        assert "-DUX_EXTERN_RUNTIME=1" not in argv and not any(a.endswith("runtime.o") for a in argv)
    neutral = particle.compile_command([src], tmp_path / "x", language="C", precision=PREC, cache_dir=cache_dir,
                                       cflags=["-DFOO=1", "-I", str(tmp_path), "-g", "-fno-strict-aliasing"])
    assert any(a.endswith("runtime.o") for a in neutral)
    for argv in (linked, plain):
        r = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
    a, b = run(tmp_path / "linked", seed=11), run(tmp_path / "plain", seed=11)
    assert a.stdout == b.stdout and a.stderr == b.stderr
    v = values(a.stdout)
    assert {"e", "q", "mix", "post", "back"} <= set(v) and "invalid parameters" in a.stderr
    assert re.search(r"^small = [\d.]+$", a.stdout, re.MULTILINE) and "does not fit in a 16-byte buffer" in a.stderr
    assert v["back"].particle_value == pytest.approx(v["e"].particle_value, rel=1e-3)  # printed with %10.3e


def test_prepare_is_idempotent_and_safe_concurrently(tmp_path):
    """Two processes preparing the same precision into an empty cache: one builds, the other waits;
    one complete directory (precompiled header + runtime.o), and a later call rebuilds nothing."""
    root = Path(particle.__file__).resolve().parents[1]
    code = "import sys; from pathlib import Path; from engine import particle; particle.prepare(Path(sys.argv[1]), 8)"
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=root, stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        assert p.wait(timeout=600) == 0, p.stderr.read().decode()
    dirs = [d for d in tmp_path.iterdir() if d.is_dir()]
    assert len(dirs) == 1, dirs
    built = {f.name: f.stat().st_mtime_ns for f in dirs[0].iterdir()}
    assert {"prelude.hpp.gch", "runtime.o"} <= set(built)
    particle.prepare(tmp_path, 8)
    assert {f.name: f.stat().st_mtime_ns for f in dirs[0].iterdir()} == built


def test_explain_compile_error(build, tmp_path):
    progs = {
        "_Generic": "#include <stdio.h>\n#define T(x) _Generic((x), int: 1, default: 0)\nint main(void){ printf(\"%d\", T(1)); return 0; }\n",
        "designated": "struct S { int a; int b; };\nint main(void){ struct S s = { .b = 1, .a = 2 }; return s.a; }\n",
        "keyword": "int main(void){ int new = 1; return new; }\n",
        "long double": "int main(void){ long double x = 1; return (int)x; }\n",
    }
    for what, src in progs.items():
        p = tmp_path / "bad.c"
        p.write_text(src)
        r = subprocess.run(particle.compile_command([p], tmp_path / "bad", language="C", precision=PREC),
                           capture_output=True, text=True)
        assert r.returncode != 0, what
        msg = particle.explain_compile_error(r.stderr)
        assert msg and "C0-Reference" in msg, (what, r.stderr)
        key = {"_Generic": "_Generic", "designated": "designated", "keyword": "keyword", "long double": "long double"}[what]
        assert key in msg, (what, msg)
    assert particle.explain_compile_error("") is None
