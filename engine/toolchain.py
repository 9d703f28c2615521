"""Engine-owned native artifacts (our trusted code, compiled on the host once, cached by
source hash): the UxHw runtime object, the Fortran `uxhw` module, the sandbox's pexec."""
from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from pathlib import Path

NATIVE_DIR = Path(__file__).resolve().parent / "runtime" / "native"
CACHE_ROOT = Path(os.environ.get("PENUMBRA_ENGINE_CACHE", "/tmp/penumbra-engine-cache"))
_lock = threading.Lock()


def _digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def native_dir() -> Path:
    """Cache dir with uxhw_runtime.o, uxhw.mod + uxhw_f.o, pexec and uxhw.h; built on first use."""
    srcs = [NATIVE_DIR / n for n in ("uxhw.h", "uxhw_runtime.c", "uxhw.f90", "pexec.c")]
    d = CACHE_ROOT / f"native-{_digest(*srcs)}"
    with _lock:
        if (d / "ready").exists():
            return d
        tmp = d.with_name(d.name + f".tmp{os.getpid()}")
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "uxhw.h").write_bytes((NATIVE_DIR / "uxhw.h").read_bytes())
        run = lambda *a: subprocess.run(a, check=True, cwd=tmp, capture_output=True)
        run("gcc", "-O2", "-fPIC", "-I", str(NATIVE_DIR), "-c", str(NATIVE_DIR / "uxhw_runtime.c"), "-o", "uxhw_runtime.o")
        run("gcc", "-O2", "-static", str(NATIVE_DIR / "pexec.c"), "-o", "pexec")
        try:
            run("gfortran", "-O2", "-c", str(NATIVE_DIR / "uxhw.f90"), "-J", str(tmp), "-o", "uxhw_f.o")
        except (OSError, subprocess.CalledProcessError):
            pass  # no Fortran here: Fortran builds then fail with a clear error
        (tmp / "ready").write_text("ok\n")
        os.chmod(tmp, 0o755)
        try:
            tmp.rename(d)
        except OSError:  # another process won the race
            pass
        return d
