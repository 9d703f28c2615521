"""python -m engine run prog.c --core C0-M [--precision N] [--args "..."] [--workdir DIR] [--plot DIR] [--json]"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path

from .cores import CoreError, get_core
from .executors import build, run
from .sandbox import Limits


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m engine")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="build a program (file or folder with config.mk) for a core and run it")
    r.add_argument("source")
    r.add_argument("--core", default="C0-Reference")
    r.add_argument("--precision", type=int)
    r.add_argument("--language", help="C, C++ or Fortran (default: from the file names)")
    r.add_argument("--args", default="", help="program arguments, one shell-quoted string")
    r.add_argument("--workdir", help="the program's working directory (default: a temporary one)")
    r.add_argument("--plot", help="write a PNG per value into this folder")
    r.add_argument("--json", action="store_true", help="print one JSON object instead")
    r.add_argument("--seed", type=int)
    r.add_argument("--timeout", type=float, default=60.0, help="wall-time limit of the run, seconds")
    a = ap.parse_args(argv)
    try:
        core = get_core(a.core)
        if a.precision:
            core = core.with_precision(a.precision)
    except CoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="penumbra-") as tmp:
        b = build(Path(a.source), core=core, language=a.language, out_dir=Path(tmp) / "build")
        if not b.ok:
            if a.json:
                print(json.dumps({"status": "build_" + b.status, "message": b.message, "stdout": "",
                                  "stderr": b.compiler_output, "values": []}))
            else:
                sys.stderr.write(b.compiler_output)
                print(f"build failed: {b.message}", file=sys.stderr)
            return 1
        wd = Path(a.workdir) if a.workdir else Path(tmp) / "work"
        lim = Limits(wall_s=a.timeout, cpu_s=a.timeout * 4, memory_bytes=core.MemorySize)
        res = run(b, args=shlex.split(a.args), work_dir=wd, limits=lim, seed=a.seed)
    if a.plot:
        from .plot import plot_values
        plot_values(res.values, Path(a.plot))
    if a.json:
        print(json.dumps(res.to_json()))
        return 0 if res.status == "ok" else 1
    sys.stdout.write(res.stdout)
    if res.stdout and not res.stdout.endswith("\n"):
        sys.stdout.write("\n")
    sys.stderr.write(res.stderr)
    if res.values:
        # Labels are cut to fit; ids stay whole so they can be used with the API.
        print(f"\n{'value':<20} {'id':<36} {'mean':>12} {'sd':>12} {'5%':>12} {'95%':>12}")
        for v in res.values:
            q = v.quantiles
            print(f"{(v.label or '')[:20]:<20} {v.id:<36} {v.mean:>12.6g} {v.sd:>12.6g} "
                  f"{q.get('0.05', float('nan')):>12.6g} {q.get('0.95', float('nan')):>12.6g}")
    st = res.stats
    print(f"\n[{core.Name or core.Microarchitecture}: status {res.status}"
          f"{': ' + res.message if res.message else ''}; {st.get('wall_ms', 0):.0f} ms wall, "
          f"{st.get('cpu_ms', 0):.0f} ms CPU]", file=sys.stderr)
    return 0 if res.status == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
