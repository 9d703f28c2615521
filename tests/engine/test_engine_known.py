"""Known answers on the Reference core and a distributional core; Bypass semantics;
Fortran; config.mk folders; compile errors verbatim; the CLI."""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from engine import build, get_core, run
from engine.sandbox import Limits

from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent / "programs"
ROOT = Path(__file__).resolve().parents[2]

SD_X2 = math.sqrt(4 * 1 * 0.25 + 2 * 0.25 ** 2)      # var(x^2), x ~ N(1, 0.5)
SD_PROD = math.sqrt(4 * 0.04 + 9 * 0.25 + 0.25 * 0.04)  # N(2,.5) * N(3,.2)
LN_MEAN = math.exp(0.125)
LN_SD = math.sqrt((math.exp(0.25) - 1) * math.exp(0.25))


def _schlieren_mc():
    r = np.random.default_rng(0)
    p, q = r.uniform(4, 6, 2_000_000), r.uniform(1, 2, 2_000_000)
    v = (p + q) / (p - q)
    return v.mean(), v.std()


def _by_label(res):
    return {v.label.rstrip("= ").strip(): v for v in res.values}


@pytest.fixture(scope="module")
def reference_result(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref")
    b = build(PROGRAMS / "known.c", core=get_core("C0-Reference").with_precision(20000), language="C",
              out_dir=d / "build")
    assert b.ok, b.compiler_output
    return run(b, args=[], work_dir=d / "work", seed=7, limits=Limits(wall_s=60, cpu_s=120))


@pytest.fixture(scope="module")
def athens_result(tmp_path_factory):
    d = tmp_path_factory.mktemp("ath")
    b = build(PROGRAMS / "known.c", core=get_core("C0-L+"), language="C", out_dir=d / "build")
    if b.status == "error" and "not installed" in b.message:
        pytest.skip(b.message)
    assert b.ok, b.compiler_output
    return run(b, args=[], work_dir=d / "work", seed=7)


def test_reference_known_answers(reference_result):
    r = reference_result
    assert r.status == "ok", (r.message, r.stderr)
    v = _by_label(r)
    n = 20000
    tol = lambda sd: 5 * sd / math.sqrt(n)
    assert v["irwin"].mean == pytest.approx(2.0, abs=tol(0.577))
    assert v["irwin"].sd == pytest.approx(math.sqrt(1 / 3), rel=0.03)
    assert v["prod"].mean == pytest.approx(6.0, abs=tol(SD_PROD))
    assert v["prod"].sd == pytest.approx(SD_PROD, rel=0.03)
    assert v["xx"].mean == pytest.approx(1.25, abs=tol(SD_X2))
    assert v["xx"].sd == pytest.approx(SD_X2, rel=0.04)
    assert v["xcopy"].mean == pytest.approx(1.0, abs=tol(0.75))
    assert v["xcopy"].sd == pytest.approx(0.75, rel=0.04)
    m, s = _schlieren_mc()
    assert v["schlieren"].mean == pytest.approx(m, abs=tol(s))
    assert v["expg"].mean == pytest.approx(LN_MEAN, abs=tol(LN_SD))
    assert v["expg"].sd == pytest.approx(LN_SD, rel=0.04)
    assert v["dfs"].mean == pytest.approx(4.0, abs=tol(3.16))
    assert v["dfs"].sd == pytest.approx(np.std([1, 2, 3, 4, 10]), rel=0.04)
    # each run follows its own branch: E[10u; u>.4] + E[-u; u<=.4]
    assert v["branch"].mean == pytest.approx(4.12, abs=tol(3.2))
    # queries answered over all runs (replay), against closed forms for N(1, 2)
    assert v["m2"].mean == pytest.approx(4.0, rel=0.04)
    assert v["pgt"].mean == pytest.approx(0.158655, abs=0.008)
    assert v["q90"].mean == pytest.approx(1 + 2 * 1.281552, abs=0.06)
    assert len(v["irwin"].samples) == n
    assert v["irwin"].id.startswith("val_") and len(v["irwin"].id) == 36
    # stdout: mean-run particle, Ux string, value id
    first = r.stdout.splitlines()[0]
    assert first.startswith("irwin = 2.000000Ux04") and f"[{v['irwin'].id}]" in first
    assert r.stats["passes"] == 2


def test_reference_ux_parses_in_signaloid(reference_result):
    from signaloid.distributional.distributional import DistributionalValue
    v = _by_label(reference_result)["prod"]
    d = DistributionalValue.parse(v.ux)
    assert d.mean == pytest.approx(v.mean, rel=1e-12) and d.particle_value == 6.0


def test_distributional_known_answers(athens_result):
    r = athens_result
    assert r.status == "ok", (r.message, r.stderr)
    v = _by_label(r)
    assert v["irwin"].mean == pytest.approx(2.0, abs=0.01)
    assert v["irwin"].sd == pytest.approx(math.sqrt(1 / 3), rel=0.05)
    assert v["prod"].mean == pytest.approx(6.0, abs=0.05)
    assert v["prod"].sd == pytest.approx(SD_PROD, rel=0.06)
    assert v["xx"].mean == pytest.approx(1.25, abs=0.03)
    assert v["xx"].sd == pytest.approx(SD_X2, rel=0.08)
    assert v["xcopy"].mean == pytest.approx(1.0, abs=0.05)
    assert v["xcopy"].sd == pytest.approx(0.75, rel=0.08)
    m, s = _schlieren_mc()
    assert v["schlieren"].mean == pytest.approx(m, rel=0.02)
    assert v["expg"].mean == pytest.approx(LN_MEAN, rel=0.01)
    assert v["dfs"].mean == pytest.approx(4.0, rel=0.05)
    # the particle branch (u's particle 0.5 > 0.4) is taken for the whole distribution
    assert v["branch"].mean == pytest.approx(5.0, rel=0.03)


def test_bypass_means(tmp_path):
    b = build(PROGRAMS / "known.c", core=get_core("C0-Bypass"), language="C", out_dir=tmp_path / "b")
    assert b.ok, b.compiler_output
    r = run(b, work_dir=tmp_path / "w")
    assert r.status == "ok"
    v = _by_label(r)
    assert v["irwin"].mean == 2.0 and v["xx"].mean == 1.0 and v["branch"].mean == 5.0 and v["m2"].mean == 0.0
    assert "Ux" not in r.stdout


def test_fortran_reference_and_bypass(tmp_path):
    b = build(PROGRAMS / "prog.f90", core=get_core("C0-Reference").with_precision(4000), language="Fortran",
              out_dir=tmp_path / "b")
    assert b.ok, b.compiler_output
    r = run(b, work_dir=tmp_path / "w", seed=3)
    assert r.status == "ok", r.stderr
    v = _by_label(r)
    assert v["y"].mean == pytest.approx(4.25, abs=0.1)
    assert v["sd"].mean == pytest.approx(math.sqrt(4 * 4 * 0.25 + 2 * 0.0625), rel=0.06)
    e = build(PROGRAMS / "prog.f90", core=get_core("C0-M"), language="Fortran", out_dir=tmp_path / "c")
    assert e.status == "error" and "Fortran" in e.message and "Reference" in e.message


def test_config_mk_folder(tmp_path):
    b = build(PROGRAMS / "multi", core=get_core("C0-Reference").with_precision(2000), language="C",
              out_dir=tmp_path / "b")
    assert b.ok, b.compiler_output
    r = run(b, work_dir=tmp_path / "w", seed=1)
    v = r.values[0]
    assert v.label == "v =" and v.mean == pytest.approx(3.0, abs=0.1) and v.sd == pytest.approx(3 * 2 / math.sqrt(12), rel=0.05)


def test_compile_error_verbatim(tmp_path):
    b = build(PROGRAMS / "broken.c", core=get_core("C0-Reference"), language="C", out_dir=tmp_path / "b")
    assert b.status == "compile_error"
    assert "undefined_thing" in b.compiler_output and "error" in b.compiler_output


def test_cli_json(tmp_path):
    out = subprocess.run([sys.executable, "-m", "engine", "run", str(PROGRAMS / "multi"), "--core", "C0-Reference",
                          "--precision", "64", "--json", "--seed", "2", "--plot", str(tmp_path / "plots")],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    j = json.loads(out.stdout)
    assert j["status"] == "ok" and len(j["values"]) == 1
    v = j["values"][0]
    assert set(v) >= {"id", "label", "mean", "sd", "quantiles", "samples"} and len(v["samples"]) == 64
    assert (tmp_path / "plots" / f"{v['id']}.png").stat().st_size > 1000


def test_reference_trace_variables_collect_samples_of_unprinted_values(tmp_path):
    src = tmp_path / "trace.c"
    src.write_text(
        "#include <stdio.h>\n"
        "#include <uxhw.h>\n"
        "int main(void) {\n"
        "    double a = UxHwDoubleUniformDist(0.0, 1.0);\n"
        "    double hidden = 3.0 * a;\n"
        "    printf(\"done\\n\");\n"
        "    return 0;\n"
        "}\n")
    b = build(src, core=get_core("C0-Reference").with_precision(2000), language="C",
              out_dir=tmp_path / "build",
              trace_variables=[{"File": "trace.c", "LineNumber": 6, "Expression": "hidden"}])
    assert b.ok, b.compiler_output
    r = run(b, args=[], work_dir=tmp_path / "work", seed=3)
    assert r.status == "ok", (r.message, r.stderr)
    traced = [v for v in r.values if "hidden" in (v.label or "")]
    assert len(traced) == 1, [v.label for v in r.values]
    samples = np.asarray(traced[0].samples)
    assert len(samples) == 2000
    assert abs(samples.mean() - 1.5) < 5 * math.sqrt(0.75) / math.sqrt(2000)
    assert 0.0 <= samples.min() and samples.max() <= 3.0
    assert f"[{traced[0].id}]" in r.stderr and "hidden" in r.stderr    # where users find the id
