"""Penumbra's uncertainty engine: build a user's C/C++/Fortran program for a core and run it.

    from engine import build, run, get_core
    b = build(Path("prog.c"), core=get_core("C0-Reference"), language="C", out_dir=Path("/tmp/b"))
    r = run(b, args=[], work_dir=Path("/tmp/w"))

See engine/README.md for the executors, the sandbox and the Reference core's output format.
"""
from .cores import CoreError, CoreSpec, DEFAULT_CORES, get_core, validate as validate_core
from .executors import BuildResult, EngineError, RunResult, Value, build, run
from .sandbox import Limits

__all__ = ["build", "run", "BuildResult", "RunResult", "Value", "CoreSpec", "CoreError", "DEFAULT_CORES",
           "get_core", "validate_core", "Limits", "EngineError"]
