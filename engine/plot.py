"""PNG plots of values (matplotlib, Agg): a histogram of the samples (Reference) or the
Dirac deltas as a variable-width histogram (distributional), with the mean marked."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_values(values, out_dir: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from .ux import decode
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for v in values:
        fig, ax = plt.subplots(figsize=(6, 4))
        if v.samples is not None and len(v.samples):
            s = np.asarray(v.samples)
            s = s[np.isfinite(s)]
            ax.hist(s, bins=min(100, max(10, int(np.sqrt(len(s))))), density=True, color="#4c72b0")
        elif v.ux:
            u = decode(v.ux[v.ux.index("Ux"):])
            ax.hist(u.sample(20000, np.random.default_rng(0)), bins=100, density=True, color="#4c72b0")
        ax.axvline(v.mean, color="#c44e52", label=f"mean {v.mean:.6g}")
        ax.set_title(v.label or v.id, fontsize=9)
        ax.legend(fontsize=8)
        p = out_dir / f"{v.id}.png"
        fig.savefig(p, dpi=100)
        plt.close(fig)
        paths.append(p)
    return paths
