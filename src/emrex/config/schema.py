"""What a service can be configured with: each setting's kind, default, one-line doc, secrecy.

A service describes its settings once, as a tree of ``Table`` and ``Setting``; the reader uses it to
refuse unknown keys and variables, to convert environment text, and ``check-config`` to print every
effective value with its source.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "int", "float", "bool", "list", "path", "url", "any"]
NO_DEFAULT = None  # a setting without a default is required, or optional where its service says so


@dataclass(frozen=True)
class Setting:
    kind: Kind
    doc: str
    default: object = NO_DEFAULT
    secret: bool = False  # masked in check-config; may also come from EMREX_..._FILE


@dataclass(frozen=True)
class Table:
    doc: str
    fields: Mapping[str, Setting | Table] = field(default_factory=dict)
    free: bool = False  # any key (a map of names to values), e.g. login.oidc.claims, source
    many: bool = False  # an array of tables, written [[name]]; not settable from the environment
    optional: bool = False  # check-config lists its settings only when the table is present
    secrets: tuple[str, ...] = ()  # in a free table: the keys that are secrets (masked, _FILE allowed)

    def leaves(self, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Setting | Table]]:
        """Every setting's path below this table; free and many tables are one leaf each."""
        for key, spec in self.fields.items():
            path = (*prefix, key)
            if isinstance(spec, Table) and not (spec.free or spec.many):
                yield from spec.leaves(path)
            else:
                yield path, spec


@dataclass(frozen=True)
class Service:
    """One service's settings: ``EMREX_<NAME>_<SECTION>__<KEY>`` variables over its TOML file."""

    name: str  # "emp": its variables start with EMREX_EMP_
    root: Table
    file_table: str = ""  # "emc": the file keeps the settings under [emc]
    label: str = ""  # "emc.": how errors name its settings
    not_settings: tuple[str, ...] = ("CONFIG",)  # EMREX_EMP_CONFIG is the file's path

    @property
    def prefix(self) -> str:
        return f"EMREX_{self.name.upper()}_"

    def variable(self, path: tuple[str, ...]) -> str:
        """The environment variable of a setting: EMREX_EMP_LOGIN__OIDC__CLIENT_SECRET."""
        return self.prefix + "__".join(part.upper() for part in path)

    def lookup(self, path: tuple[str, ...]) -> Setting | Table | None:
        """The setting at ``path``; keys below a free table are ``any`` settings."""
        node: Setting | Table = self.root
        for part in path:
            if not isinstance(node, Table) or node.many:
                return None
            if node.free:
                return Setting("any", "", secret=part in node.secrets)
            found = node.fields.get(part)
            if found is None:
                return None
            node = found
        return node
