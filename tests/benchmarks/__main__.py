"""`make bench`: runs every benchmark module here (bench_*.py) in turn; each
prints its own figures as ratios measured in this one run."""
import importlib
import pkgutil
import sys
import time

import tests.benchmarks as package


def main() -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("bench_"))
    only = sys.argv[1:]
    failed = []
    for name in names:
        if only and name not in only:
            continue
        print(f"\n=== {name} ===", flush=True)
        started = time.monotonic()
        try:
            importlib.import_module(f"tests.benchmarks.{name}").main()
        except Exception as exc:   # report and go on with the other benchmarks
            print(f"{name} failed: {exc!r}", flush=True)
            failed.append(name)
        print(f"({name} took {time.monotonic() - started:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
