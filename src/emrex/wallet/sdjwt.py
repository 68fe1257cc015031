"""SD-JWT (RFC 9901): selectively disclosable object properties and array elements with decoys, the
compact form ``<JWT>~<disclosure>~…~<KB-JWT>``, and rebuilding the disclosed claims with every digest
checked (a disclosure given twice, one nothing refers to, or a digest found twice is refused).

Which claims are selectively disclosable is said with claim paths, the syntax of SD-JWT VC type
metadata and DCQL: a tuple of names, array indexes, and ``None`` for every element of an array.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from emrex.wallet.errors import DisclosureRefused, TooLarge, Unreadable
from emrex.wallet.jose import Json, b64decode_ascii, b64encode, dumps, loads_noting

SD_ALG = "sha-256"
SD = "_sd"
ELEMENT = "..."
ClaimPath = tuple[str | int | None, ...]
MAX_DISCLOSURES = 2000
DEFAULT_MAX_BYTES = 8_000_000


def digest_of(text: str) -> str:
    return b64encode(hashlib.sha256(text.encode("ascii")).digest())


@dataclass(frozen=True)
class Disclosure:
    encoded: str
    digest: str
    name: str | None  # None for an array element
    value: Any = field(repr=False)
    nested: bool = field(default=True, repr=False)  # False: nothing inside can be a digest


def make_disclosure(name: str | None, value: Any) -> Disclosure:
    salt = b64encode(secrets.token_bytes(16))
    encoded = b64encode(dumps([salt, value] if name is None else [salt, name, value]))
    return Disclosure(encoded, digest_of(encoded), name, value)


def parse_disclosure(encoded: str) -> Disclosure:
    if not encoded.isascii():
        raise Unreadable("a disclosure is not base64url text")
    ascii_form = encoded.encode("ascii")  # one copy serves the digest and the decoding
    digest = b64encode(hashlib.sha256(ascii_form).digest())
    raw = b64decode_ascii(ascii_form, "a disclosure")
    value, nested = loads_noting(raw, "a disclosure", SD, ELEMENT)
    if not isinstance(value, list) or len(value) not in (2, 3) or not isinstance(value[0], str):
        raise DisclosureRefused("a disclosure is not a JSON array of a salt, an optional name and a value")
    if len(value) == 2:
        return Disclosure(encoded, digest, None, value[1], nested)
    name = value[1]
    if not isinstance(name, str) or name in (SD, ELEMENT):
        raise DisclosureRefused(f"a disclosure names the claim {str(name)[:40]!r}, which cannot be disclosed")
    return Disclosure(encoded, digest, name, value[2], nested)


def matches(pattern: ClaimPath, path: ClaimPath) -> bool:
    """Whether ``path`` is what ``pattern`` points at (``None`` in a pattern stands for any index)."""
    return len(pattern) == len(path) and all(p is None or p == q for p, q in zip(pattern, path, strict=True))


class PathSet:
    """Claim paths, asked cheaply: does a path match one, and may one lie below it?"""

    def __init__(self, paths: Sequence[ClaimPath]) -> None:
        self.paths = tuple(paths)
        # Paths of names and None are looked up with every index of the asked path made None.
        wild = [p for p in self.paths if not any(isinstance(step, int) for step in p)]
        self.exact = {p for p in wild}
        self.above = {p[:k] for p in wild for k in range(len(p))}
        self.indexed = [p for p in self.paths if any(isinstance(step, int) for step in p)]

    def matches(self, path: ClaimPath) -> bool:
        return _wild(path) in self.exact or any(matches(p, path) for p in self.indexed)

    def below(self, path: ClaimPath) -> bool:
        return _wild(path) in self.above or any(
            len(p) > len(path) and matches(p[: len(path)], path) for p in self.indexed
        )


def _wild(path: ClaimPath) -> ClaimPath:
    return tuple(None if isinstance(step, int) else step for step in path)


@dataclass
class _Concealer:
    paths: PathSet
    decoys: Callable[[], int]
    disclosures: list[Disclosure] = field(default_factory=list)

    def value(self, value: Any, path: ClaimPath) -> Any:
        if not self.paths.below(path):
            return value  # nothing below is disclosable: kept as it is, unwalked
        if isinstance(value, dict):
            return self.object(value, path)
        if isinstance(value, list):
            return self.array(value, path)
        return value

    def object(self, value: Json, path: ClaimPath) -> Json:
        if SD in value or ELEMENT in value:
            raise Unreadable(
                f"the claims at {_show(path)} already use the reserved name {SD!r} or {ELEMENT!r}"
            )
        out: Json = {}
        digests: list[str] = []
        for name, member in value.items():
            inner = (*path, name)
            concealed = self.value(member, inner)
            if self.disclosable(inner):
                disclosure = make_disclosure(name, concealed)
                self.disclosures.append(disclosure)
                digests.append(disclosure.digest)
            else:
                out[name] = concealed
        if digests:
            digests.extend(_decoy() for _ in range(self.decoys()))
            out[SD] = sorted(digests)  # sorted, so the order of the claims is not given away
        return out

    def array(self, value: list[Any], path: ClaimPath) -> list[Any]:
        out: list[Any] = []
        concealed_any = False
        for index, element in enumerate(value):
            inner = (*path, index)
            concealed = self.value(element, inner)
            if self.disclosable(inner):
                disclosure = make_disclosure(None, concealed)
                self.disclosures.append(disclosure)
                out.append({ELEMENT: disclosure.digest})
                concealed_any = True
            else:
                out.append(concealed)
        if concealed_any:
            for _ in range(self.decoys()):
                out.insert(secrets.randbelow(len(out) + 1), {ELEMENT: _decoy()})
        return out

    def disclosable(self, path: ClaimPath) -> bool:
        return self.paths.matches(path)


def _decoy() -> str:
    return b64encode(hashlib.sha256(secrets.token_bytes(16)).digest())


def random_decoys() -> int:
    """One to three decoy digests where there are disclosures, so their number says less."""
    return 1 + secrets.randbelow(3)


def conceal(
    claims: Json, paths: Sequence[ClaimPath], *, decoys: Callable[[], int] = random_decoys
) -> tuple[Json, list[Disclosure]]:
    """The payload of an SD-JWT for ``claims`` (with ``_sd_alg``), and its disclosures in document order."""
    concealer = _Concealer(PathSet(paths), decoys)
    payload = concealer.object(claims, ())
    payload["_sd_alg"] = SD_ALG
    return payload, concealer.disclosures


@dataclass(frozen=True)
class SdJwt:
    """The compact form taken apart: the issuer-signed JWT, the disclosures, and the KB-JWT if any."""

    jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str | None = None

    @property
    def presented(self) -> str:
        """What a key-binding JWT's ``sd_hash`` covers: the JWT and disclosures, ending in ``~``."""
        return "~".join((self.jwt, *self.disclosures, ""))

    def serialize(self) -> str:
        return self.presented + (self.kb_jwt or "")


def split(text: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> SdJwt:
    """The parts of a compact SD-JWT; the size is checked before anything is parsed."""
    if len(text) > max_bytes:
        raise TooLarge(f"the SD-JWT has {len(text)} characters; at most {max_bytes} are accepted")
    text = text.strip()
    if not text.isascii():
        raise Unreadable("an SD-JWT is ASCII text; this one is not")
    if "~" not in text:
        raise Unreadable("this is not an SD-JWT: no '~' separates the JWT from the disclosures")
    parts = text.split("~")
    if len(parts) - 2 > MAX_DISCLOSURES:
        raise TooLarge(f"the SD-JWT has {len(parts) - 2} disclosures; at most {MAX_DISCLOSURES} are read")
    jwt, disclosures, last = parts[0], parts[1:-1], parts[-1]
    if not jwt or any(not d for d in disclosures):
        raise Unreadable("the SD-JWT has an empty part between two '~'")
    return SdJwt(jwt, tuple(disclosures), last or None)


@dataclass(frozen=True)
class Resolved:
    """The claims as disclosed, and where each disclosure sits (its concrete path, and its parent's)."""

    claims: Json
    placed: tuple[tuple[ClaimPath, Disclosure, str | None], ...]


def resolve(payload: Json, disclosures: Sequence[str], *, fixed: Sequence[str] = ()) -> Resolved:
    """The claims of an SD-JWT payload with ``disclosures`` put in; ``fixed`` names top-level claims that
    must not come from a disclosure (``iss``, ``vct``, ``cnf``, … in an SD-JWT VC)."""
    alg = payload.get("_sd_alg", SD_ALG)
    if alg != SD_ALG:
        raise DisclosureRefused(f"the digests use {str(alg)[:20]!r}; only {SD_ALG} is accepted")
    by_digest: dict[str, Disclosure] = {}
    for encoded in disclosures:
        disclosure = parse_disclosure(encoded)
        if disclosure.digest in by_digest:
            raise DisclosureRefused("the same disclosure is given twice")
        by_digest[disclosure.digest] = disclosure
    walker = _Resolver(by_digest)
    claims = walker.object(payload, (), None)
    claims.pop("_sd_alg", None)
    if len(walker.used) != len(by_digest):
        raise DisclosureRefused(
            f"{len(by_digest) - len(walker.used)} disclosure(s) are not referenced by the signed credential"
        )
    for name in fixed:
        if any(path == (name,) for path, _, _ in walker.placed):
            raise DisclosureRefused(f"the claim {name!r} must not be selectively disclosed")
    return Resolved(claims, tuple(walker.placed))


@dataclass
class _Resolver:
    by_digest: dict[str, Disclosure]
    seen: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)
    placed: list[tuple[ClaimPath, Disclosure, str | None]] = field(default_factory=list)

    def value(self, value: Any, path: ClaimPath, parent: str | None) -> Any:
        if isinstance(value, dict):
            return self.object(value, path, parent)
        if isinstance(value, list):
            return self.array(value, path, parent)
        return value

    def disclosed(self, disclosure: Disclosure, path: ClaimPath) -> Any:
        if not disclosure.nested:
            return disclosure.value  # nothing inside can be a digest: no walk through a large course
        return self.value(disclosure.value, path, disclosure.digest)

    def take(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise DisclosureRefused("a digest in the credential is not a string")
        if digest in self.seen:
            raise DisclosureRefused("a digest appears twice in the credential")
        self.seen.add(digest)
        disclosure = self.by_digest.get(digest)
        if disclosure is not None:
            self.used.add(digest)
        return disclosure

    def object(self, value: Json, path: ClaimPath, parent: str | None) -> Json:
        out = {
            name: self.value(member, (*path, name), parent) for name, member in value.items() if name != SD
        }
        digests = value.get(SD, [])
        if not isinstance(digests, list):
            raise DisclosureRefused(f"{SD!r} at {_show(path)} is not an array of digests")
        for digest in digests:
            disclosure = self.take(digest)
            if disclosure is None:
                continue  # a decoy, or a claim the holder chose not to disclose
            if disclosure.name is None:
                raise DisclosureRefused("an array-element disclosure is referenced as an object property")
            if disclosure.name in out:
                raise DisclosureRefused(f"the claim {disclosure.name[:40]!r} at {_show(path)} is given twice")
            inner = (*path, disclosure.name)
            out[disclosure.name] = self.disclosed(disclosure, inner)
            self.placed.append((inner, disclosure, parent))
        return out

    def array(self, value: list[Any], path: ClaimPath, parent: str | None) -> list[Any]:
        out: list[Any] = []
        for element in value:
            if isinstance(element, dict) and len(element) == 1 and ELEMENT in element:
                disclosure = self.take(element[ELEMENT])
                if disclosure is None:
                    continue
                if disclosure.name is not None:
                    raise DisclosureRefused("an object-property disclosure is referenced as an array element")
                inner = (*path, len(out))
                out.append(self.disclosed(disclosure, inner))
                self.placed.append((inner, disclosure, parent))
            else:
                out.append(self.value(element, (*path, len(out)), parent))
        return out


def _show(path: ClaimPath) -> str:
    return "/".join("*" if p is None else str(p) for p in path) or "the top level"
