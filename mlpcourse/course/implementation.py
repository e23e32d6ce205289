"""Load one set of exercise modules (yours, the stubs, or the reference) side by side.

The graded checks never import ``mlpcourse.activations`` and friends directly:
they receive an :class:`Implementation`, a fresh private package built from
the exercise files of one folder. Inside it the modules' relative imports
(``from .activations import sigmoid``) resolve to the same folder, so several
implementations can live in one process without mixing.
"""

import itertools
import sys
import types
from pathlib import Path

from mlpcourse.runner import EXERCISE_MODULES

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REFERENCE_DIR = PACKAGE_DIR.parent / "solutions" / "mlpcourse"
_counter = itertools.count()


class Implementation(types.SimpleNamespace):
    """The exercise modules of one folder, as attributes: ``impl.activations.sigmoid``."""

    source: Path


def resolve(source: str | Path) -> Path:
    """The folder holding the exercise modules named by ``source``.

    ``"student"`` is the ``mlpcourse`` package being imported (your work),
    ``"reference"`` the instructor's ``solutions/mlpcourse``; anything else is
    a path, either to such a folder or to a folder containing ``mlpcourse/``.
    """
    if source == "student":
        return PACKAGE_DIR
    if source == "reference":
        if not REFERENCE_DIR.is_dir():
            raise FileNotFoundError(
                f"the reference solutions are not here ({REFERENCE_DIR}): "
                "they exist only in the instructor's repository"
            )
        return REFERENCE_DIR
    path = Path(source).resolve()
    if (path / "mlpcourse").is_dir():
        path = path / "mlpcourse"
    if not path.is_dir():
        raise FileNotFoundError(f"no folder of exercise modules at {source}")
    return path


def read_sources(source: str | Path = "student", modules: dict[str, Path] | None = None) -> dict:
    """The text of each exercise module of ``source``, by module name.

    ``modules`` maps some module names to other files, read instead.
    """
    folder = resolve(source)
    files = {name: folder / f"{name}.py" for name in EXERCISE_MODULES}
    files.update(modules or {})
    sources = {}
    for name, path in files.items():
        if not path.is_file():
            raise FileNotFoundError(f"missing exercise module {path}")
        sources[name] = (str(path), path.read_text(encoding="utf-8"))
    return sources


def from_sources(sources: dict, folder: Path | None = None) -> Implementation:
    """Execute exercise module texts ``{name: (filename, text)}`` into a fresh private package."""
    package_name = f"_mlpcourse_impl_{next(_counter)}"
    package = types.ModuleType(package_name)
    package.__path__ = []
    sys.modules[package_name] = package
    loaded = {}
    try:
        for name in EXERCISE_MODULES:
            filename, text = sources[name]
            module = types.ModuleType(f"{package_name}.{name}")
            module.__file__ = filename
            module.__package__ = package_name
            sys.modules[module.__name__] = module
            exec(compile(text, filename, "exec"), module.__dict__)
            setattr(package, name, module)
            loaded[name] = module
    finally:
        # Relative imports need the package only while the modules execute.
        for name in [package_name, *(f"{package_name}.{m}" for m in EXERCISE_MODULES)]:
            sys.modules.pop(name, None)
    return Implementation(source=folder, **loaded)


def load(source: str | Path = "student", modules: dict[str, Path] | None = None) -> Implementation:
    """Import the exercise modules of ``source`` into a fresh private package.

    ``modules`` maps some module names to other files, which are loaded
    instead: e.g. one student module among the reference's.
    """
    return from_sources(read_sources(source, modules), resolve(source))
