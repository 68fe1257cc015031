"""Package faces that load their modules on first use.

A core package lists its public API in ``__all__`` and maps each name to the module that defines it;
``import emrex.elmo`` then costs almost nothing, and ``from emrex.elmo import read_elmo`` loads only what
the reader needs. Type checkers read the same names from the package's ``if TYPE_CHECKING:`` imports;
``tests/test_exports.py`` holds the three lists (``__all__``, the map, those imports) together.
"""

from __future__ import annotations

import importlib

# The face of a package must not pull in ``typing`` (20-30 ms on a busy machine, more than the face
# itself); mypy reads a module-level ``TYPE_CHECKING = False`` as it reads ``typing.TYPE_CHECKING``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_exports(
    namespace: dict[str, Any], where: Mapping[str, tuple[str, ...]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the package whose ``globals()`` is ``namespace``; ``where`` maps
    a module of the package (its name after the package's) to the public names it defines."""
    package = namespace["__name__"]
    home = {name: f"{package}.{module}" for module, names in where.items() for name in names}

    def getattr_(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups are ordinary attributes
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(home))

    return getattr_, dir_
