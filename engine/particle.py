"""The distributional ("particle") executor's build side.

A user's C or C++ program is compiled *as C++* with a prelude (engine/runtime/particle/prelude.hpp)
that replaces ``double``/``float`` by ``ux::Double``: the ordinary IEEE value (the *particle*,
which branches use) plus M samples. Every operator and <math.h> function propagates the samples
(same sample index = same "world", so reuse of a variable is correlated by construction);
printf-family wrappers print ``<particle>Ux<hex>`` with the TTR of the samples; strtod/atof/scanf
read Ux strings back. See engine/runtime/particle/README.md for the design and measurements.
Only what must inline for speed (the value type, its arithmetic, cheap <math.h> functions, thin
printf/scanf fronts) is compiled per program; the rest of the runtime (runtime_impl.hpp) is
compiled once per (M, Precision, flags) into a cached runtime.o that every program links.

Interface used by the rest of the engine::

    samples_for(precision) -> M
    compile_command(sources, output, language=..., precision=..., ...) -> g++ argv
    prepare(cache_dir, precision)              # builds the precompiled header and runtime.o (optional, idempotent)
    explain_compile_error(stderr) -> str | None
    RUN_ENV                                    # extra environment for running the binary

The binary takes its random seed from ``PENUMBRA_SEED`` (decimal uint64), else a fixed default.
It wants a large stack (values are 8·(M+2) bytes): if RLIMIT_STACK is below 1 GiB it raises the
soft limit to the hard limit and re-executes itself once (``/proc/self/exe``); giving it an
unlimited stack up front avoids that (~1 ms) re-exec.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime" / "particle"
PRELUDE = RUNTIME_DIR / "prelude.hpp"
INCLUDE_DIR = RUNTIME_DIR / "include"
# What the cache copies and hashes: the prelude (declarations + what must inline), the out-of-line
# runtime (runtime_impl.hpp, compiled once into runtime.o by runtime.cpp) and the Sobol table.
_RUNTIME_FILES = ("prelude.hpp", "runtime_impl.hpp", "runtime.cpp", "sobol_table.h")
# With a cache the prelude only declares the runtime, and runtime.o (same flags) is linked in.
_EXTERN = "-DUX_EXTERN_RUNTIME=1"

RUN_ENV: dict[str, str] = {}

CXX = os.environ.get("PENUMBRA_CXX", "g++")
# Flags that must be identical for the precompiled header and every compile that uses it.
# -march: the binary is built for the machine that builds it (AVX-512 here: ~1.5-2x faster sample
# loops than baseline x86-64). Set PENUMBRA_PARTICLE_MARCH=x86-64 for binaries that move between machines.
MARCH = os.environ.get("PENUMBRA_PARTICLE_MARCH", "native")
_BASE_FLAGS = ["-std=gnu++17", "-O2", f"-march={MARCH}", "-fno-math-errno", "-fpermissive", "-w"]
_SOURCE_EXTS = {".c", ".cc", ".cpp", ".cxx", ".c++", ".C", ".i", ".ii"}
_M_CAP = 16384


def samples_for(precision: int) -> int:
    """Samples per value for a core Precision: 4·Precision, at least 256, at most 16384 (but never
    fewer than Precision). Powers of two for power-of-two precisions."""
    p = int(precision)
    if p < 1:
        raise ValueError("precision must be positive")
    return max(p, min(_M_CAP, max(256, 4 * p)))


def ttr_diracs(precision: int) -> int:
    """Dirac deltas in printed Ux strings: the largest power of two <= Precision."""
    k = 1
    while k * 2 <= precision:
        k *= 2
    return k


def _macro_flags(precision: int) -> list[str]:
    return [f"-DUX_M={samples_for(precision)}", f"-DUX_PRECISION={int(precision)}"]




def _pch_dir(cache_dir: Path, precision: int) -> Path:
    h = hashlib.sha256()
    for name in _RUNTIME_FILES:
        h.update((RUNTIME_DIR / name).read_bytes())
    h.update(" ".join([CXX] + _BASE_FLAGS + _macro_flags(precision) + [_EXTERN]).encode())
    h.update(_compiler_version().encode())
    return Path(cache_dir) / f"particle-M{samples_for(precision)}-P{int(precision)}-{h.hexdigest()[:12]}"


_version_cache: dict[str, str] = {}


def _compiler_version() -> str:
    if CXX not in _version_cache:
        try:
            _version_cache[CXX] = subprocess.run([CXX, "--version"], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            _version_cache[CXX] = "unknown"
    return _version_cache[CXX]


def _prepared(d: Path) -> bool:
    return (d / "prelude.hpp.gch").exists() and (d / "runtime.o").exists()


def prepare(cache_dir: Path, precision: int) -> None:
    """Build the precompiled prelude and the runtime object (runtime.o: everything that need not be
    inline, compiled once) for this precision into cache_dir (idempotent; concurrent callers wait
    on a lock file and the result is published by an atomic rename of the whole directory)."""
    d = _pch_dir(Path(cache_dir), precision)
    if _prepared(d):
        return
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    lock_path = Path(cache_dir) / (d.name + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if _prepared(d):
                return
            tmp = Path(tempfile.mkdtemp(prefix=d.name + ".tmp", dir=cache_dir))
            try:
                # runtime.cpp compiles from its own copy: next to tmp/prelude.hpp, g++ would
                # look at the half-written prelude.hpp.gch
                (tmp / "src").mkdir()
                for name in _RUNTIME_FILES:
                    shutil.copyfile(RUNTIME_DIR / name, tmp / name)
                    shutil.copyfile(RUNTIME_DIR / name, tmp / "src" / name)
                flags = [*_BASE_FLAGS, *_macro_flags(precision), _EXTERN]
                # the two compiles are independent (2 cores: ~half the wall time side by side)
                jobs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for argv in (
                    [CXX, "-x", "c++-header", *flags, str(tmp / "prelude.hpp"), "-o", str(tmp / "prelude.hpp.gch")],
                    [CXX, "-x", "c++", *flags, "-c", str(tmp / "src" / "runtime.cpp"), "-o", str(tmp / "runtime.o")])]
                outputs = [job.communicate() for job in jobs]  # wait for both, so no compiler outlives tmp
                for job, (out, err) in zip(jobs, outputs):
                    if job.returncode != 0:
                        raise subprocess.CalledProcessError(job.returncode, job.args, out, err)
                shutil.rmtree(tmp / "src")
                os.chmod(tmp, 0o755)
                if d.exists():  # stale partial directory (should not happen): replace it
                    shutil.rmtree(d, ignore_errors=True)
                os.rename(tmp, d)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _split_user_flags(cflags) -> tuple[list[str], list[str]]:
    """(compile flags, link flags) from a user's CFLAGS. Language-standard, optimisation and
    warnings-as-errors flags are dropped (we compile as gnu++17 at -O2 with warnings off)."""
    comp, link = [], []
    it = iter(list(cflags or ()))
    for f in it:
        if f in ("-I", "-D", "-U", "-include", "-isystem", "-iquote", "-L", "-l", "-x"):
            val = next(it, None)
            if val is None:
                break
            if f == "-x":
                continue
            (link if f in ("-L", "-l") else comp).extend([f, val])
            continue
        if re.match(r"^-(std=|ansi$|O\d?$|Os$|Ofast$|Og$|Oz$|Werror|pedantic-errors$|pedantic$|Wpedantic$|fsanitize|x)", f):
            continue
        if f.startswith(("-l", "-L", "-Wl,", "-static", "-pthread", "-rdynamic")) or f.endswith((".a", ".o", ".so")):
            link.append(f)
        else:
            comp.append(f)
    return comp, link


def compile_command(sources: list[Path], output: Path, *, language: str, precision: int,
                    correlation_tracking: str = "Autocorrelation", cflags: list[str] = (),
                    cache_dir: Path | None = None) -> list[str]:
    """Full g++ argv building `sources` for a distributional core of the given Precision.

    With cache_dir, the precompiled prelude and runtime.o are built there first (see prepare):
    the prelude then only declares the runtime and runtime.o is linked in. If they cannot be
    built, or the user's flags could change how the runtime compiles (see _runtime_neutral), the
    self-contained prelude is used instead (same program, slower compile). If user flags
    invalidate the precompiled header, g++ silently parses prelude.hpp instead.
    correlation_tracking: "Autocorrelation" or "Disable" (case-insensitive). Both build the same
    program: reuse of a variable is always tracked (same sample index); see README.md."""
    if language.upper() not in ("C", "C++", "CXX", "CPP"):
        raise ValueError(f"unsupported language for the particle core: {language!r}")
    if str(correlation_tracking).lower() not in ("autocorrelation", "disable", "disabled"):
        raise ValueError(f"CorrelationTracking must be Autocorrelation or Disable, not {correlation_tracking!r}")
    is_c = language.upper() == "C"
    comp, link = _split_user_flags(cflags)
    prelude, runtime = PRELUDE, []
    if cache_dir is not None and _runtime_neutral(comp):
        try:
            prepare(Path(cache_dir), precision)
            d = _pch_dir(Path(cache_dir), precision)
            prelude, runtime = d / "prelude.hpp", [str(d / "runtime.o")]
        except (OSError, subprocess.CalledProcessError):
            prelude, runtime = PRELUDE, []
    srcs = [str(s) for s in sources if Path(s).suffix in _SOURCE_EXTS]
    argv = [CXX, *_BASE_FLAGS, *_macro_flags(precision)]
    if runtime:
        argv.append(_EXTERN)
    if is_c:
        argv.append("-DUX_LANG_C=1")
    argv += ["-include", str(prelude), "-I", str(INCLUDE_DIR), *comp, "-w", "-x", "c++", *srcs,
             "-x", "none", *runtime, "-o", str(output), *link, "-lm"]
    return argv


# User flags that can change what the runtime computes or its ABI (floating-point semantics, char
# signedness, struct layout, target ISA/ABI) or select its own compile-time options (UX_*).
_RUNTIME_SENSITIVE = re.compile(
    r"^-(m|[DU]\s*UX_|f(no-)?(fast-math|unsafe-math-optimizations|finite-math-only|signed-zeros|trapping-math|"
    r"rounding-math|signaling-nans|reciprocal-math|associative-math|math-errno|fp-contract|excess-precision|"
    r"cx-|permitted-flt-eval-methods|single-precision-constant|float-store|signed-char|unsigned-char|short-|"
    r"pack-struct|strict-enums|ieee|protect-parens))")


def _runtime_neutral(comp: list[str]) -> bool:
    """True if the user's compile flags cannot change what the cached runtime.o (built with the base
    flags only) computes, so linking it is the same program as compiling the runtime with those flags.
    Otherwise (-ffast-math, -m..., -DUX_SAMPLING=..., ...) the self-contained prelude is compiled with
    the user's flags, as before the runtime moved out of line (slower, identical)."""
    it = iter(comp)
    for f in it:
        if f in ("-D", "-U"):
            f += next(it, "")
        elif f in ("-I", "-isystem", "-iquote", "-include"):
            next(it, None)
            continue
        if _RUNTIME_SENSITIVE.match(f):
            return False
    return True


# ---- compile errors the particle path cannot fix ---------------------------------------
_SUGGEST = ("This program cannot be built for a distributional core (it is compiled as C++ with a "
            "distribution-carrying double). Rewrite that construct, or run it on the C0-Reference core "
            "(plain Monte Carlo of the unchanged program).")

_PATTERNS: list[tuple[str, str]] = [
    (r"^\s*\d+\s*\|.*\blong\s+double\b|qualified-id in declaration before[^\n]*\n[^\n]*\blong\s+double",
     "`long double` (not supported by the distributional value type)"),
    (r"designator order for field|non-trivial designated initializers not supported|"
     r"either all initializer clauses should be designated or none|array designators? |"
     r"designated initializers cannot be used with a non-aggregate|expected primary-expression before '\.' token|"
     r"expected primary-expression before '\[' token",
     "designated initialisers out of declaration order, array designators ([i] = ...) or mixed designated/"
     "positional initialisers (C allows them, C++ does not)"),
    (r"'_Generic' was not declared|_Generic", "_Generic selections (C11 only)"),
    (r"long ::ux::Double|'long' (?:specified with|invalid)|long ux::Double|"
     r"two or more data types in declaration of .*long|'long long' is too long|"
     r"expected [^\n]*before '::' token[^\n]*\n[^\n]*long\s+double",
     "`long double` (not supported by the distributional value type)"),
    (r"jump to label .*|crosses initialization of|jump to case label",
     "`goto`/`switch` jumping past the initialisation of a variable (C allows it, C++ does not)"),
    (r"overloaded function with no contextual type information|no matches converting function '(\w+)'|"
     r"cannot resolve overloaded function '(\w+)'",
     "taking the address of a <math.h> function (e.g. `&sqrt` or passing `sqrt` as a function pointer)"),
    (r"operands to '\?:' have different types '(?:ux::Double|::ux::Double)' and '(?:int|long|unsigned)",
     "a conditional expression mixing a floating-point value and an integer (write `c ? x : 0.0` instead of `c ? x : 0`)"),
    (r"expected unqualified-id before '(new|delete|class|this|template|typename|namespace|operator|private|"
     r"public|protected|virtual|friend|throw|try|catch|using|export|mutable|explicit|bool|true|false|"
     r"nullptr|constexpr|decltype|noexcept|static_assert|thread_local|char16_t|char32_t|alignof|typeid)'|"
     r"expected (?:[^\n]*) before '(new|delete|class|this|template|typename|namespace|operator|private|"
     r"public|protected|virtual|friend|throw|try|catch|using|export|mutable|explicit)'",
     "a C++ keyword used as an identifier"),
    (r"redeclaration of C\+\+ built-in type 'bool'|conflicting declaration 'typedef .* bool'",
     "a typedef of `bool` (a C++ keyword)"),
    (r"was not declared in this scope[^\n]*\n(?:[^\n]*\n)*?[^\n]*(?:old-style|K&R)|"
     r"expected initializer before '\w+'[^\n]*\n[^\n]*\)\s*\n|'\w+' was not declared in this scope[^\n]*\n[^\n]*\w+\s*\(\s*\w+(?:\s*,\s*\w+)*\s*\)\s*$",
     "an old-style (K&R) function definition"),
    (r"_Complex|complex double|'complex' was not declared|__complex__",
     "C99 complex numbers (`complex double`)"),
    (r"va_arg[^\n]*ux::Double|cannot receive objects of non-trivially-copyable|"
     r"cannot pass objects of non-trivially-copyable type",
     "a floating-point value passed through C varargs (va_arg)"),
    (r"cannot convert '(?:::)?ux::Double' to '(double|float)'|"
     r"invalid (?:static_cast|cast) from type '(?:::)?ux::Double' to type '(double|float)'",
     "a floating-point value passed to an external (precompiled) function that expects a plain double"),
    (r"invalid operands of types '[^']*ux::Double[^']*' and '[^']*' to binary 'operator(%|&|\||\^|<<|>>)'",
     "an operator that is not defined for floating-point values"),
    (r"'(?:min|max)' was not declared in this scope",
     "min()/max() without Signaloid's uxhw.h macros (defined for C sources only); use std::min/std::max"),
]


def explain_compile_error(compiler_stderr: str) -> str | None:
    """A human message naming the C construct the particle path cannot compile, with the
    C0-Reference suggestion; None if the error is not recognised (show the compiler output)."""
    if not compiler_stderr or "error" not in compiler_stderr:
        return None
    compiler_stderr = compiler_stderr.replace("\u2018", "'").replace("\u2019", "'")  # UTF-8 locales quote with ‘ ’
    for pattern, what in _PATTERNS:
        m = re.search(pattern, compiler_stderr, re.MULTILINE)
        if m:
            loc = _location_before(compiler_stderr, m.start())
            where = f" at {loc}" if loc else ""
            return f"Unsupported construct{where}: {what}. {_SUGGEST}"
    if "ux::Double" in compiler_stderr or "prelude.hpp" in compiler_stderr:
        loc = _location_before(compiler_stderr, compiler_stderr.find("error"))
        where = f" at {loc}" if loc else ""
        return (f"The program uses floating-point values in a way the distributional value type does not "
                f"support{where} (see the compiler output). {_SUGGEST}")
    return None


def _location_before(text: str, pos: int) -> str | None:
    """The last `file:line:col: error` location at or before pos (else the first one)."""
    locs = [(m.start(), m.group(1)) for m in re.finditer(r"^([^\s:][^:\n]*:\d+:\d+): (?:error|sorry)", text, re.MULTILINE)]
    locs = [(p, l) for p, l in locs if "prelude.hpp" not in l and "runtime_impl.hpp" not in l and "/usr/" not in l] or locs
    if not locs:
        return None
    before = [l for p, l in locs if p <= pos]
    return before[-1] if before else locs[0][1]
