"""Load one set of exercise modules (yours, the stubs, or the reference) side by side.

The graded checks never import ``mlpcourse.activations`` and friends directly:
they receive an :class:`Implementation`, a fresh private package built from
the exercise files of one folder. Inside it the modules' relative imports
(``from .activations import sigmoid``) resolve to the same folder, so several
implementations can live in one process without mixing.
"""

import importlib
import importlib.abc
import importlib.util
import itertools
import sys
import types
from pathlib import Path

from mlpcourse.chapters import EXERCISE_MODULES

PACKAGE_DIR = Path(__file__).resolve().parent
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


class _Sources(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and runs ``package.<module>`` from the texts given, whatever the import order."""

    def __init__(self, package: str, sources: dict) -> None:
        self.package, self.sources = package, sources

    def find_spec(self, fullname: str, path=None, target=None):
        """A spec for one of the exercise modules of this package, else None."""
        package, _, name = fullname.rpartition(".")
        if package != self.package or name not in self.sources:
            return None
        return importlib.util.spec_from_loader(fullname, self, origin=self.sources[name][0])

    def create_module(self, spec):
        """The default module object."""
        return None

    def exec_module(self, module) -> None:
        """Run the module's text, as the file it came from."""
        filename, text = self.sources[module.__name__.rpartition(".")[2]]
        module.__file__ = filename
        exec(compile(text, filename, "exec"), module.__dict__)


def from_sources(sources: dict, folder: Path | None = None) -> Implementation:
    """Execute exercise module texts ``{name: (filename, text)}`` into a fresh private package.

    A module's relative imports (``from .activations import sigmoid``) load the
    module they name first, from the same texts.
    """
    package_name = f"_mlpcourse_impl_{next(_counter)}"
    package = types.ModuleType(package_name)
    package.__path__ = []
    finder = _Sources(package_name, sources)
    sys.modules[package_name] = package
    sys.meta_path.insert(0, finder)
    try:
        loaded = {
            name: importlib.import_module(f"{package_name}.{name}") for name in EXERCISE_MODULES
        }
    finally:
        # Relative imports need the package only while the modules execute.
        sys.meta_path.remove(finder)
        for name in [package_name, *(f"{package_name}.{m}" for m in EXERCISE_MODULES)]:
            sys.modules.pop(name, None)
    return Implementation(source=folder, **loaded)


def load(source: str | Path = "student", modules: dict[str, Path] | None = None) -> Implementation:
    """Import the exercise modules of ``source`` into a fresh private package.

    ``modules`` maps some module names to other files, which are loaded
    instead: e.g. one student module among the reference's.
    """
    return from_sources(read_sources(source, modules), resolve(source))
