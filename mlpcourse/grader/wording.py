"""How the grader writes numbers and counts for a person: plainly, and small."""

import numpy as np


def plain(value) -> str:
    """A number as a person writes it: ``0.25``, ``3``, ``1.2345e-07``, never ``np.float64(…)``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.10g}"
    if isinstance(value, np.ndarray):
        return small(value)
    return repr(value)


def small(array: np.ndarray, entries: int = 4) -> str:
    """An array in a few words: its first entries and its shape."""
    flat = np.ravel(array)
    shown = ", ".join(plain(v) for v in flat[:entries]) + (", …" if flat.size > entries else "")
    return f"[{shown}] (shape {tuple(array.shape)})"


def count(n: float, unit: str, units: str = "") -> str:
    """``1 point``, ``2 points``, ``0.5 points``; ``units`` where the plural is not unit + s."""
    return f"{n:g} {unit if n == 1 else (units or unit + 's')}"
