"""build() and run(): the engine's Python API, and the three executors.

* Bypass: native build linked with the UxHw runtime, one sandboxed run; creators return
  their mean. Printed floating-point numbers become values with sd 0.
* Distributional (Athens, Zurich, Jupiter): compiled through engine.particle (the particle
  runtime, written separately); one run; the Ux strings it prints become values.
* Reference: native build; the runtime's fork server re-executes the program Precision
  times (engine/reference.py). Its stdout is the mean run's stdout (every creator returns its
  mean) with each printed floating-point number followed at once by ``Ux<hex>`` (TTR of the
  samples, at most 256 Diracs) and `` [val_<32 hex>]``, the value id.
"""
from __future__ import annotations

import math
import os
import re
import shlex
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import reference as ref
from .cores import CoreSpec
from .sandbox import COMPILE_LIMITS, Limits, run_sandboxed
from .toolchain import native_dir
from .ux import UxValue, find_ux_strings

C_EXT = {".c"}
CXX_EXT = {".cc", ".cpp", ".cxx", ".c++", ".C"}
F_EXT = {".f90", ".f95", ".f03", ".f", ".for", ".F90", ".F"}
LANGS = {"c": "C", "c++": "C++", "cpp": "C++", "cxx": "C++", "fortran": "Fortran", "f90": "Fortran"}
QUANTILES = (0.05, 0.95)
REFERENCE_UX_DIRACS = 256
# Same grammar as float_token() in uxhw_runtime.c: a decimal point or an exponent is required.
FLOAT_RE = re.compile(r"(?<![A-Za-z0-9_.])([-+]?(?:(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+"
                      r"|(?i:infinity|nan|inf)))(?![A-Za-z0-9_.])")


class EngineError(Exception):
    pass


@dataclass
class BuildResult:
    status: str  # ok | compile_error | error
    message: str
    core: CoreSpec
    language: str
    compiler_output: str = ""
    artifact: Path | None = None
    out_dir: Path | None = None
    executor: str = ""
    trace_labels: dict = field(default_factory=dict)  # trace id -> "file:line expr"
    stats: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Value:
    id: str
    label: str
    mean: float
    sd: float
    quantiles: dict
    particle: float | None = None
    ux: str | None = None
    samples: np.ndarray | None = None
    line: int | None = None
    position: int | None = None

    def to_json(self, with_samples: bool = True) -> dict:
        d = {"id": self.id, "label": self.label, "mean": _num(self.mean), "sd": _num(self.sd),
             "quantiles": {k: _num(v) for k, v in self.quantiles.items()}}
        if with_samples and self.samples is not None:
            d["samples"] = [_num(x) for x in self.samples.tolist()]
        return d


@dataclass
class RunResult:
    status: str
    message: str
    stdout: str
    stderr: str
    values: list[Value]
    stats: dict

    def to_json(self) -> dict:
        return {"status": self.status, "message": self.message, "stdout": self.stdout, "stderr": self.stderr,
                "values": [v.to_json() for v in self.values], "stats": self.stats}


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else str(x)


def _new_id() -> str:
    return "val_" + uuid.uuid4().hex


# ---------------------------------------------------------------- sources
def parse_config_mk(text: str) -> dict[str, list[str]]:
    """SOURCES and CFLAGS from a demo's config.mk (`=`, `:=`, `+=`, backslash continuations)."""
    text = text.replace("\\\n", " ")
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0]
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(\+=|:=|\?=|=)\s*(.*)$", line)
        if not m:
            continue
        name, op, val = m.groups()
        toks = shlex.split(val) if val.strip() else []
        if op == "+=":
            out.setdefault(name, []).extend(toks)
        else:
            out[name] = toks
    return out


def collect_sources(src: Path) -> tuple[list[Path], list[str], Path]:
    """(source files, CFLAGS, root dir). A single file, or a folder (config.mk honoured)."""
    src = Path(src).resolve()
    if src.is_file():
        return [src], [], src.parent
    if not src.is_dir():
        raise EngineError(f"no such source file or folder: {src}")
    cfg = src / "config.mk"
    if cfg.exists():
        conf = parse_config_mk(cfg.read_text(errors="replace"))
        files = []
        for s in conf.get("SOURCES", []):
            s = s.replace("$(wildcard ", "").rstrip(")")
            matches = sorted(src.glob(s)) if any(ch in s for ch in "*?[") else [src / s]
            files.extend(m for m in matches if m.suffix in C_EXT | CXX_EXT | F_EXT)
        if files:
            return files, conf.get("CFLAGS", []), src
        cflags = conf.get("CFLAGS", [])
    else:
        cflags = []
    files = sorted(p for p in src.rglob("*") if p.is_file() and p.suffix in C_EXT | CXX_EXT | F_EXT)
    if not files:
        raise EngineError(f"no C, C++ or Fortran sources under {src}")
    return files, cflags, src


def detect_language(files: list[Path]) -> str:
    sufs = {p.suffix for p in files}
    if sufs & F_EXT:
        return "Fortran"
    if sufs & CXX_EXT:
        return "C++"
    return "C"


def _safe_cflags(flags: list[str]) -> list[str]:
    # config.mk is user input: keep -D/-I/-O/-W/-std/-f/-m style flags, drop ones that write
    # elsewhere or load plugins.
    bad = ("-o", "-fplugin", "-specs", "-wrapper", "-B", "--sysroot", "-save-temps")
    return [f for f in flags if not f.startswith(bad) and not f.startswith("@")]


# ---------------------------------------------------------------- build
def build(source_dir: Path, *, core: CoreSpec, language: str | None = None, out_dir: Path,
          limits: Limits | None = None, trace_variables: list[dict] | None = None) -> BuildResult:
    t0 = time.monotonic()
    out_dir = Path(out_dir).resolve()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    (out_dir / "src").mkdir(parents=True)
    try:
        files, cflags, root = collect_sources(Path(source_dir))
    except EngineError as e:
        return BuildResult("error", str(e), core, language or "")
    lang = LANGS.get((language or detect_language(files)).lower())
    if lang is None:
        return BuildResult("error", f"unknown language {language!r}; use C, C++ or Fortran", core, language or "")
    # Copy the whole folder so relative #includes work; the compile sees /work/src.
    if Path(source_dir).is_dir():
        shutil.copytree(root, out_dir / "src", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git", "*.o", "*.a"))
    else:
        shutil.copy2(files[0], out_dir / "src" / files[0].name)
    rel = [str(Path("src") / f.relative_to(root)) for f in files]
    trace_labels = {}
    if trace_variables:
        if lang == "Fortran":
            return BuildResult("error", "TraceVariables are supported for C and C++ sources only", core, lang)
        try:
            trace_labels = _instrument(out_dir / "src", trace_variables)
        except EngineError as e:
            return BuildResult("error", str(e), core, lang)
    executor = core.executor
    nd = native_dir()
    binary = out_dir / "prog"
    ro = [nd]
    if executor in ("bypass", "reference"):
        if lang == "Fortran" and not (nd / "uxhw_f.o").exists():
            return BuildResult("error", "Fortran is not available on this machine (no gfortran)", core, lang)
        comp = {"C": "gcc", "C++": "g++", "Fortran": "gfortran"}[lang]
        cmd = [comp, "-O2", "-g0", "-I", str(nd)]
        if lang == "Fortran":
            cmd += ["-J", "/work/obj"]
            (out_dir / "obj").mkdir()
        if lang == "C":
            cmd += ["-std=gnu11"]
        if trace_labels:
            cmd += ["-include", str(nd / "uxhw.h")]
        cmd += _safe_cflags(cflags) + rel + [str(nd / "uxhw_runtime.o")]
        if lang == "Fortran":
            cmd += [str(nd / "uxhw_f.o")]
        cmd += ["-Wl,--wrap=main", "-Wl,--export-dynamic-symbol=exit", "-lm", "-ldl", "-o", "/work/prog"]
    else:
        if lang == "Fortran":
            return BuildResult("error", f"Fortran is supported on the Bypass and Reference cores only, not on "
                                        f"{core.Microarchitecture}; build for C0-Reference or C0-Bypass", core, lang)
        try:
            from . import particle  # written by the particle-runtime engineer
        except ImportError:
            return BuildResult("error", f"the distributional executor ({core.Microarchitecture}) is not installed "
                                        f"yet (engine.particle missing); use C0-Reference", core, lang)
        cache = Path(os.environ.get("PENUMBRA_ENGINE_CACHE", "/tmp/penumbra-engine-cache")) / "particle"
        cache.mkdir(parents=True, exist_ok=True)
        ro += [cache, particle.RUNTIME_DIR]
        try:  # compile_command builds the precompiled prelude itself and falls back without it
            cmd = particle.compile_command([Path("/work") / r for r in rel], Path("/work/prog"), language=lang,
                                           precision=core.Precision, correlation_tracking=core.CorrelationTracking,
                                           cflags=_safe_cflags(cflags), cache_dir=cache)
        except (ValueError, OSError) as e:
            return BuildResult("error", f"distributional build not possible: {e}", core, lang)
    res = run_sandboxed(cmd, work_dir=out_dir, limits=limits or COMPILE_LIMITS, ro_binds=ro)
    output = (res.stdout + res.stderr).decode(errors="replace")
    br = BuildResult("ok", "", core, lang, output, binary, out_dir, executor, trace_labels,
                     {"wall_ms": res.wall_ms, "cpu_ms": res.cpu_ms, "total_ms": (time.monotonic() - t0) * 1000})
    if res.status != "ok" or not binary.exists():
        br.status = "compile_error" if res.status in ("exit_nonzero",) else "error"
        br.message = "compilation failed" if br.status == "compile_error" else f"compilation stopped: {res.message}"
        if executor == "distributional" and br.status == "compile_error":
            try:
                from . import particle
                hint = particle.explain_compile_error(res.stderr.decode(errors="replace"))
            except Exception:
                hint = None
            if hint:
                br.message = f"{hint} (the Reference core runs this program unchanged: use C0-Reference)"
    return br


def _instrument(src_dir: Path, tvs: list[dict]) -> dict[int, str]:
    """Append `UxHwPenumbraTrace(id, (double)(Expression));` to line LineNumber of File (same
    line, so compiler messages keep their line numbers). The statement on that line must end there."""
    labels = {}
    by_file: dict[Path, list] = {}
    for i, tv in enumerate(tvs):
        f = src_dir / tv["File"]
        if not f.exists():
            cands = list(src_dir.rglob(Path(tv["File"]).name))
            if not cands:
                raise EngineError(f"TraceVariable file {tv['File']!r} not found")
            f = cands[0]
        by_file.setdefault(f, []).append((i, int(tv["LineNumber"]), tv["Expression"]))
        labels[i] = f"{tv['File']}:{tv['LineNumber']} {tv['Expression']}"
    for f, items in by_file.items():
        lines = f.read_text(errors="replace").split("\n")
        for i, ln, expr in items:
            if not 1 <= ln <= len(lines):
                raise EngineError(f"TraceVariable line {ln} is outside {f.name}")
            lines[ln - 1] += f" UxHwPenumbraTrace({i}u, (double)({expr}));"
        f.write_text("\n".join(lines))
    return labels


# ---------------------------------------------------------------- run
def default_limits(core: CoreSpec) -> Limits:
    return Limits(memory_bytes=core.MemorySize)


def run(build: BuildResult, *, args: list[str] = (), work_dir: Path, limits: Limits | None = None,
        cancel: threading.Event | None = None, seed: int | None = None) -> RunResult:
    if not build.ok:
        return RunResult("error", f"build is not runnable: {build.message}", "", build.compiler_output, [], {})
    lim = limits or default_limits(build.core)
    work_dir = Path(work_dir).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    seed = int(seed if seed is not None else int.from_bytes(os.urandom(4), "little"))
    if build.executor == "reference":
        return _run_reference(build, list(args), work_dir, lim, cancel, seed)
    env = {"PENUMBRA_SEED": str(seed)}
    if build.executor == "distributional":
        from . import particle
        env.update(particle.RUN_ENV)
    res = run_sandboxed([str(build.artifact)] + list(args), work_dir=work_dir, limits=lim, env=env,
                        ro_binds=[build.out_dir], cancel=cancel)
    out = res.stdout.decode(errors="replace")
    values = _values_from_ux(out) if build.executor == "distributional" else _values_from_plain(out)
    return RunResult(*_status(res), out, res.stderr.decode(errors="replace"), values,
                     {"wall_ms": res.wall_ms, "cpu_ms": res.cpu_ms, "maxrss_kb": res.maxrss_kb})


def _status(res) -> tuple[str, str]:
    if res.status == "ok":
        return "ok", ""
    if res.status == "exit_nonzero":
        return "exit_nonzero", res.message
    return res.status, res.message


def _label(line: str, start: int) -> str:
    # text before the number on its line, after any previous number
    before = re.split(r"(?:[-+]?[0-9.]+(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf)?Ux[0-9A-Fa-f]+(?: \[val_[0-9a-f]{32}\])?",
                      line[:start])[-1]
    m = list(FLOAT_RE.finditer(before))
    if m:
        before = before[m[-1].end():]
    return before.strip()


def _values_from_plain(out: str) -> list[Value]:
    vals = []
    for li, line in enumerate(out.split("\n")):
        for pi, m in enumerate(FLOAT_RE.finditer(line)):
            x = float(m.group(1))
            vals.append(Value(_new_id(), _label(line, m.start()), x, 0.0, {str(q): x for q in QUANTILES},
                              particle=x, line=li, position=pi))
    return vals


def _values_from_ux(out: str) -> list[Value]:
    vals = []
    for li, line in enumerate(out.split("\n")):
        for pi, (s, e, ptxt, v) in enumerate(find_ux_strings(line)):
            vals.append(Value(_new_id(), _label(line, s), v.mean, v.sd, {str(q): v.quantile(q) for q in QUANTILES},
                              particle=v.particle, ux=line[s:e], line=li, position=pi))
    return vals


def _run_reference(build: BuildResult, args, work_dir: Path, lim: Limits, cancel, seed: int) -> RunResult:
    K = int(build.core.Precision)
    workers = os.cpu_count() or 1
    rng = np.random.default_rng(seed)
    t0 = time.monotonic()
    state = work_dir / ".penumbra"
    if state.exists():
        shutil.rmtree(state)
    state.mkdir()
    cpu_total = 0.0
    prev_calls = None
    answered = 0
    note = ""
    pr = None
    stderr = b""
    res = None
    for npass in range(1, ref.MAX_PASSES + 1):
        pdir = state / f"pass{npass}"
        pdir.mkdir()
        env = {"PENUMBRA_UXHW_MODE": "reference", "PENUMBRA_RUNS": str(K), "PENUMBRA_SEED": str(seed),
               "PENUMBRA_WORKERS": str(workers), "PENUMBRA_OUTDIR": f"/work/.penumbra/pass{npass}"}
        if npass > 1:
            env["PENUMBRA_ANSWERS"] = f"/work/.penumbra/answers{npass}.bin"
        remaining = lim.wall_s - (time.monotonic() - t0)
        if remaining <= 0:
            break
        plim = Limits(wall_s=remaining, cpu_s=lim.cpu_s, memory_bytes=lim.memory_bytes,
                      processes=max(lim.processes, workers * 2 + 4), output_bytes=lim.output_bytes,
                      file_bytes=lim.file_bytes)
        res = run_sandboxed([str(build.artifact)] + args, work_dir=work_dir, limits=plim, env=env,
                            ro_binds=[build.out_dir], cancel=cancel)
        cpu_total += res.cpu_ms
        stderr = res.stderr
        if res.status != "ok":
            break
        pr = ref.read_pass(pdir)
        calls = ref.queries_by_call(pr, K)
        if not calls:
            break
        if prev_calls is not None and ref.consistent(prev_calls, calls, answered):
            break
        if npass == ref.MAX_PASSES:
            note = f"query answers did not settle after {npass} passes; values use the last pass"
            break
        A = ref.compute_answers(calls, K, rng)
        answered = A.shape[1]
        ref.write_answers(state / f"answers{npass + 1}.bin", A)
        prev_calls = calls
    stats = {"wall_ms": (time.monotonic() - t0) * 1000, "cpu_ms": cpu_total, "runs": K,
             "passes": npass, "mode": pr.mode if pr else "?"}
    if res is None or res.status != "ok" or pr is None:
        st, msg = _status(res) if res is not None else ("wall_time", f"wall time limit of {lim.wall_s:g} s exceeded")
        return RunResult(st, msg, pr.mean_stdout.decode(errors="replace") if pr else "",
                         stderr.decode(errors="replace"), [], stats)
    stats["failed_runs"] = len((set(pr.failed) - {-1}) | (set(range(K)) - set(pr.ok_runs.tolist())))
    stats["maxrss_kb"] = res.maxrss_kb
    values, stdout = _reference_values(pr, K, build)
    status, message = "ok", note
    mean_ok = -1 in pr.ok_runs
    from .sandbox import MEMORY_FLOOR
    mem_hit = res.maxrss_kb * 1024 >= 0.7 * max(lim.memory_bytes, MEMORY_FLOOR)
    if not mean_ok:
        status, message = "exit_nonzero", "the program failed in its mean run"
        if mem_hit:
            status, message = "memory", f"memory limit of {lim.describe_memory()} exceeded"
        elif -1 in pr.failed and pr.failed[-1][0]:
            message += f" (signal {pr.failed[-1][0]})"
    else:
        rc = int(pr.recs[(pr.recs["kind"] == ref.K_OK) & (pr.recs["run"] == -1)]["a"][0])
        if rc != 0:
            status, message = "exit_nonzero", f"exited with status {rc}"
    if stats["failed_runs"]:
        message = (message + "; " if message else "") + f"{stats['failed_runs']} of {K} runs failed and were left out"
    # Traced variables are not printed by the program; their value ids reach the
    # user on stderr, where Signaloid's docs say to look for value ids.
    traced = "".join(f"Traced {v.label}: {v.ux} [{v.id}]\n" for v in values if v.line is None)
    return RunResult(status, message, stdout, stderr.decode(errors="replace") + traced, values, stats)


def _reference_values(pr: ref.PassResult, K: int, build: BuildResult) -> tuple[list[Value], str]:
    groups, traces = ref.collect_values(pr, K)
    mean_recs = pr.recs[(pr.recs["kind"] == ref.K_VALUE) & (pr.recs["run"] == -1)]
    mean_at = {(int(r["a"]), int(r["b"])): r for r in mean_recs}
    lines = pr.mean_stdout.split(b"\n")
    subs: dict[int, list] = {}
    values = []
    for line, pos, samples, runs in groups:
        m = mean_at.get((line, pos))
        particle = float(m["value"]) if m is not None else float(np.mean(samples))
        ux = UxValue.from_samples(samples, particle=particle, max_diracs=REFERENCE_UX_DIRACS)
        label = ""
        if m is not None and line < len(lines):
            text = lines[line].decode(errors="replace")
            label = _label(text, int(m["c"]))
        v = Value(_new_id(), label, float(np.mean(samples)), float(np.std(samples)),
                  {str(q): float(np.quantile(samples, q)) for q in QUANTILES}, particle, None, samples, line, pos)
        if m is not None:
            ptxt = lines[line][int(m["c"]):int(m["d"])].decode(errors="replace")
            v.ux = ux.to_string(particle_text=ptxt if re.fullmatch(r"[-+]?\d*\.?\d+(?:e[-+]\d+)?|nan|[-+]?inf", ptxt) else str(particle))
            subs.setdefault(line, []).append((int(m["c"]), int(m["d"]), f"{v.ux} [{v.id}]"))
        values.append(v)
    for tid, samples, runs in traces:
        label = build.trace_labels.get(tid, f"trace {tid}")
        values.append(Value(_new_id(), label, float(np.mean(samples)), float(np.std(samples)),
                            {str(q): float(np.quantile(samples, q)) for q in QUANTILES}, None,
                            UxValue.from_samples(samples, max_diracs=REFERENCE_UX_DIRACS).to_string(), samples))
    out_lines = []
    for i, raw in enumerate(lines):
        s = raw.decode(errors="replace") if i not in subs else None
        if s is None:
            b = raw
            for c, d, rep in sorted(subs[i], reverse=True):
                b = b[:c] + rep.encode() + b[d:]
            s = b.decode(errors="replace")
        out_lines.append(s)
    return values, "\n".join(out_lines)
