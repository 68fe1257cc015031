"""The JSON-LD contexts an EDC names, held locally; any other context is refused by name.

Two contexts: the W3C Verifiable Credentials 1.1 base context, which W3C has frozen (verifiers are told
to use a static copy; we state its term definitions here), and the EDC application-profile context,
read from the shapes folder that ``emrex elm shapes fetch`` fills. Nothing is ever fetched while a
document is processed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emrex.elm import vocab as v
from emrex.elm.errors import RemoteContextRefused, ShapesUnavailable
from emrex.elm.jsondoc import load_json

CRED = "https://www.w3.org/2018/credentials#"
SEC = "https://w3id.org/security#"
XSD = "http://www.w3.org/2001/XMLSchema#"
CONTEXT_FILE = "context/edc-ap-context.jsonld"
# The same context under the names documents use for it.
EDC_NAMES = (v.EDC_CONTEXT, v.EDC_CONTEXT.replace("http://", "https://", 1))
VC_NAMES = (v.VC_CONTEXT,)


def _scoped(extra: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "@version": 1.1,
        "@protected": True,
        "id": "@id",
        "type": "@type",
        "cred": CRED,
        "sec": SEC,
        "xsd": XSD,
    }
    base.update(extra)
    return base


def _ref(name: str) -> dict[str, str]:
    return {"@id": f"cred:{name}", "@type": "@id"}


def _date(name: str) -> dict[str, str]:
    return {"@id": f"cred:{name}", "@type": "xsd:dateTime"}


VC_V1: dict[str, Any] = {
    "@context": {
        "@version": 1.1,
        "@protected": True,
        "id": "@id",
        "type": "@type",
        "VerifiableCredential": {
            "@id": f"{CRED}VerifiableCredential",
            "@context": _scoped(
                {
                    "credentialSchema": _ref("credentialSchema"),
                    "credentialStatus": _ref("credentialStatus"),
                    "credentialSubject": _ref("credentialSubject"),
                    "evidence": _ref("evidence"),
                    "expirationDate": _date("expirationDate"),
                    "holder": _ref("holder"),
                    "issued": _date("issued"),
                    "issuer": _ref("issuer"),
                    "issuanceDate": _date("issuanceDate"),
                    "proof": {"@id": "sec:proof", "@type": "@id", "@container": "@graph"},
                    "refreshService": _ref("refreshService"),
                    "termsOfUse": _ref("termsOfUse"),
                    "validFrom": _date("validFrom"),
                    "validUntil": _date("validUntil"),
                }
            ),
        },
        "VerifiablePresentation": {
            "@id": f"{CRED}VerifiablePresentation",
            "@context": _scoped(
                {
                    "holder": _ref("holder"),
                    "proof": {"@id": "sec:proof", "@type": "@id", "@container": "@graph"},
                    "verifiableCredential": {
                        "@id": "cred:verifiableCredential",
                        "@type": "@id",
                        "@container": "@graph",
                    },
                }
            ),
        },
        "proof": {"@id": f"{SEC}proof", "@type": "@id", "@container": "@graph"},
    }
}


class LocalContexts:
    """The contexts by name; ``loader`` is a pyld document loader that refuses every other name."""

    def __init__(self, edc: dict[str, Any]) -> None:
        if not isinstance(edc.get("@context"), dict):
            raise ShapesUnavailable("the EDC context file has no '@context' object")
        self.documents: dict[str, dict[str, Any]] = {name: VC_V1 for name in VC_NAMES}
        self.documents.update({name: edc for name in EDC_NAMES})

    @classmethod
    def from_dir(cls, directory: Path) -> LocalContexts:
        path = directory / CONTEXT_FILE
        try:
            data = path.read_bytes()
        except OSError:
            raise ShapesUnavailable(f"no EDC context at {path} (run 'emrex elm shapes fetch')") from None
        document = load_json(data)
        if not isinstance(document, dict):
            raise ShapesUnavailable(f"{path} is not a JSON-LD context document")
        return cls(document)

    def context(self, name: str) -> dict[str, Any]:
        document = self.documents.get(name)
        if document is None:
            raise RemoteContextRefused(name)
        context: dict[str, Any] = document["@context"]
        return context

    def loader(self, url: str, options: Any = None) -> dict[str, Any]:
        document = self.documents.get(url)
        if document is None:
            raise RemoteContextRefused(url)
        return {"contextUrl": None, "documentUrl": url, "document": document}


KNOWN_NAMES = frozenset((*VC_NAMES, *EDC_NAMES))


def check_context_names(document: object) -> None:
    """Refuse, by name, any ``@context`` in the document other than the two local ones.

    Used where a credential is read as JSON (conversion): a context of its own could give its terms
    another meaning than the EDC context does.
    """
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "@context":
                    for name in value if isinstance(value, list) else [value]:
                        if not isinstance(name, str):
                            raise RemoteContextRefused("an inline context object")
                        if name not in KNOWN_NAMES:
                            raise RemoteContextRefused(name)
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
