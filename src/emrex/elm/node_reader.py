"""Reading an ELM credential as JSON, remembering what was read.

``NodeReader`` resolves ``{"id": …}`` references to the node given in full elsewhere in the document
(no JSON-LD processing, nothing fetched) and records which members of which node were read, so that
``unread`` can warn about every member that found no ELMO home, with its path.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from emrex.elm.node_builder import UNDETERMINED
from emrex.elmo import model as m

# Members read elsewhere or that only describe the credential itself (not its ELMO content).
IGNORED = {"id", "type", "@context", "@id", "@type"}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]



class NodeReader:
    def __init__(self, credential: dict[str, Any]) -> None:
        self.credential = credential
        self.index: dict[str, dict[str, Any]] = {}
        self.read: dict[int, set[str]] = {}
        self.paths: dict[int, str] = {}
        self.objects: dict[int, dict[str, Any]] = {}
        self.warnings: list[str] = []
        self.problems: list[str] = []
        self._index(credential)

    def _index(self, root: Any) -> None:
        stack = [root]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                ident = item.get("id")
                if isinstance(ident, str) and len(item) > 1 and (ident not in self.index or len(item) > 2):
                    self.index.setdefault(ident, item)
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)

    # --- access that remembers what was read ---------------------------------------------------------

    def node(self, value: Any, path: str) -> dict[str, Any] | None:
        if isinstance(value, str):
            value = {"id": value}
        if not isinstance(value, dict):
            return None
        node: dict[str, Any] = value
        if set(node) <= {"id", "type"} and isinstance(node.get("id"), str):
            node = self.index.get(node["id"], node)
        self.paths.setdefault(id(node), path)
        self.objects[id(node)] = node
        self.read.setdefault(id(node), set())
        return node

    def get(self, node: dict[str, Any] | None, key: str) -> Any:
        if node is None:
            return None
        self.read.setdefault(id(node), set()).add(key)
        return node.get(key)

    def nodes(self, node: dict[str, Any] | None, key: str, path: str) -> Iterator[dict[str, Any]]:
        value = self.get(node, key)
        where = f"{path}.{key}" if path else key
        for i, item in enumerate(as_list(value)):
            child = self.node(item, f"{where}[{i + 1}]" if isinstance(value, list) else where)
            if child is not None:
                yield child

    def first(self, node: dict[str, Any] | None, key: str, path: str) -> dict[str, Any] | None:
        return next(self.nodes(node, key, path), None)

    def texts(self, node: dict[str, Any] | None, key: str) -> tuple[m.LangText, ...]:
        value = self.get(node, key)
        out: list[m.LangText] = []
        if isinstance(value, dict):
            for lang, texts in value.items():
                for text in as_list(texts):
                    if isinstance(text, str):
                        out.append(m.LangText(text, None if lang in (UNDETERMINED, "@none") else lang))
        elif isinstance(value, str):
            out.append(m.LangText(value))
        return tuple(out)

    def text(self, node: dict[str, Any] | None, key: str) -> str | None:
        texts = self.texts(node, key)
        return texts[0].text if texts else None

    def string(self, node: dict[str, Any] | None, key: str) -> str | None:
        value = self.get(node, key)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        return value if isinstance(value, str) else None

    def unread(self) -> None:
        consumed = {
            node["id"]
            for key_id, node in self.objects.items()
            if self.read.get(key_id) and isinstance(node.get("id"), str)
        }
        for key_id, path in self.paths.items():
            node = self.objects[key_id]
            if not self.read.get(key_id) and node.get("id") in consumed:
                continue  # another copy of a node already read (JSON repeats shared nodes)
            kind = node.get("type")
            kind = kind[0] if isinstance(kind, list) and kind else kind
            if kind in ("Concept", "ConceptScheme"):
                continue  # a vocabulary entry: its labels and scheme are not data of the credential
            read = self.read.get(key_id, set())
            for key in node:
                if key not in read and key not in IGNORED:
                    self.warnings.append(f"{path}.{key} ({kind}): no ELMO home; left out")
