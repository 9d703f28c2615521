"""Cores: the default core table and the validation rules of Signaloid's "Create Core".

A core is (Class, Microarchitecture, Precision, MemorySize, CorrelationTracking).

Default table (names as in Signaloid's docs and demo READMEs):

* ``C0-Bypass``, ``C0-Reference`` (Precision 32 = re-executions), ``C0-XS`` 32, ``C0-S`` 64,
  ``C0-M`` 128, ``C0-L`` 256, ``C0-XL`` 512 (Athens). A ``+`` suffix means
  CorrelationTracking = Autocorrelation; without it, Disable.
* ``C0Pro-…`` the same set.
* MemorySize (our choice, Signaloid publishes none): C0 256 MiB, C0Pro 1 GiB. Enforced by the
  sandbox as the run's address-space limit (see engine/sandbox.py for the floor it applies).

Validation (API text, "Create Core"): Name non-empty; Class in {C0, C0Pro}; Precision integer
in [4, 8000] for Athens/Zurich, [4, 1000000] for Reference (Bypass ignores it but it must still
be in [4, 1000000]); MemorySize integer in [256000, 4000000000]; Microarchitecture in
{Zurich, Athens, Bypass, Reference} (Jupiter accepted too: the SDK lists it);
CorrelationTracking in {Autocorrelation, Disable}, case-insensitive.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

CLASSES = ("C0", "C0Pro")
MICROARCHITECTURES = ("Zurich", "Athens", "Bypass", "Reference", "Jupiter")
DISTRIBUTIONAL = ("Zurich", "Athens", "Jupiter")
CORRELATION = ("Autocorrelation", "Disable")
MEMORY_MIN, MEMORY_MAX = 256_000, 4_000_000_000
PRECISION_MIN = 4
PRECISION_MAX = {"Athens": 8000, "Zurich": 8000, "Jupiter": 8000, "Reference": 1_000_000, "Bypass": 1_000_000}
SIZES = {"XS": 32, "S": 64, "M": 128, "L": 256, "XL": 512}
DEFAULT_MEMORY = {"C0": 256 * 1024 * 1024, "C0Pro": 1024 * 1024 * 1024}
REFERENCE_DEFAULT_PRECISION = 32


class CoreError(ValueError):
    pass


@dataclass(frozen=True)
class CoreSpec:
    Class: str
    Microarchitecture: str
    Precision: int
    MemorySize: int
    CorrelationTracking: str
    Name: str = ""

    @property
    def executor(self) -> str:
        """Which executor runs it: 'bypass', 'reference' or 'distributional'."""
        if self.Microarchitecture == "Bypass":
            return "bypass"
        if self.Microarchitecture == "Reference":
            return "reference"
        return "distributional"

    def with_precision(self, precision: int) -> "CoreSpec":
        return validate(asdict(replace(self, Precision=int(precision))))

    def to_dict(self) -> dict:
        return asdict(self)


def _default_table() -> dict[str, CoreSpec]:
    t: dict[str, CoreSpec] = {}
    for cls in CLASSES:
        mem = DEFAULT_MEMORY[cls]
        for plus in ("", "+"):
            corr = "Autocorrelation" if plus else "Disable"
            t[f"{cls}-Bypass{plus}"] = CoreSpec(cls, "Bypass", 32, mem, corr, f"{cls}-Bypass{plus}")
            t[f"{cls}-Reference{plus}"] = CoreSpec(cls, "Reference", REFERENCE_DEFAULT_PRECISION, mem, corr,
                                                   f"{cls}-Reference{plus}")
            for size, prec in SIZES.items():
                name = f"{cls}-{size}{plus}"
                t[name] = CoreSpec(cls, "Athens", prec, mem, corr, name)
    return t


DEFAULT_CORES: dict[str, CoreSpec] = _default_table()


def default_cores() -> list[CoreSpec]:
    return list(DEFAULT_CORES.values())


def get_core(name: str) -> CoreSpec:
    """Look up a default core by name; case-insensitive ('C0-bypass' appears in Signaloid docs)."""
    for k, v in DEFAULT_CORES.items():
        if k.lower() == name.strip().lower():
            return v
    raise CoreError(f"unknown core {name!r}; default cores: {', '.join(DEFAULT_CORES)}")


def validate(body: dict) -> CoreSpec:
    """Validate a Create-Core body (or a BuildCoreSpecs object); returns a CoreSpec or raises CoreError."""
    errs = []
    name = body.get("Name", "")
    if "Name" in body and (not isinstance(name, str) or not name.strip()):
        errs.append("Name must be a non-empty string")
    cls = body.get("Class")
    if cls not in CLASSES:
        errs.append(f"Class must be one of {', '.join(CLASSES)}")
    arch = body.get("Microarchitecture")
    if arch not in MICROARCHITECTURES:
        errs.append(f"Microarchitecture must be one of {', '.join(MICROARCHITECTURES)}")
    corr = body.get("CorrelationTracking")
    corr_norm = next((c for c in CORRELATION if isinstance(corr, str) and c.lower() == corr.lower()), None)
    if corr_norm is None:
        errs.append("CorrelationTracking must be Autocorrelation or Disable (case-insensitive)")
    prec = body.get("Precision")
    if not isinstance(prec, int) or isinstance(prec, bool):
        errs.append("Precision must be an integer")
    else:
        hi = PRECISION_MAX.get(arch, 8000)
        if not PRECISION_MIN <= prec <= hi:
            errs.append(f"Precision must be in [{PRECISION_MIN}, {hi}] for {arch}")
    mem = body.get("MemorySize")
    if not isinstance(mem, int) or isinstance(mem, bool):
        errs.append("MemorySize must be an integer")
    elif not MEMORY_MIN <= mem <= MEMORY_MAX:
        errs.append(f"MemorySize must be in [{MEMORY_MIN}, {MEMORY_MAX}]")
    if errs:
        raise CoreError("; ".join(errs))
    return CoreSpec(cls, arch, prec, mem, corr_norm, name or "")
