import pytest

from engine.cores import DEFAULT_CORES, CoreError, get_core, validate


def test_default_table():
    assert get_core("C0-S+").Precision == 64 and get_core("C0-S+").CorrelationTracking == "Autocorrelation"
    assert get_core("C0-XL").Precision == 512 and get_core("C0-XL").CorrelationTracking == "Disable"
    assert get_core("C0-Reference").Precision == 32 and get_core("c0-bypass").executor == "bypass"
    assert get_core("C0Pro-XS+").Class == "C0Pro"
    assert {c.executor for c in DEFAULT_CORES.values()} == {"bypass", "reference", "distributional"}


def test_validation():
    ok = {"Name": "x", "Class": "C0", "Microarchitecture": "Athens", "CorrelationTracking": "autocorrelation",
          "MemorySize": 256000, "Precision": 128}
    assert validate(ok).CorrelationTracking == "Autocorrelation"
    for k, bad in (("Precision", 3), ("Precision", 8001), ("MemorySize", 255999), ("Class", "C1"),
                   ("Microarchitecture", "Mars"), ("CorrelationTracking", "some"), ("Name", "")):
        with pytest.raises(CoreError):
            validate({**ok, k: bad})
    assert validate({**ok, "Microarchitecture": "Reference", "Precision": 1_000_000}).Precision == 1_000_000
    with pytest.raises(CoreError):
        validate({**ok, "Microarchitecture": "Reference", "Precision": 1_000_001})
