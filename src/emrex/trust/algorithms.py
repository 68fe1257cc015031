"""The XML-DSig algorithm identifiers we know, with short names for people."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

from emrex.xml import DSIG_NS

EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"

ENVELOPED = DSIG_NS + "enveloped-signature"

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_COMMENTS = C14N + "#WithComments"
EXC_C14N = EXC_C14N_NS
EXC_C14N_COMMENTS = EXC_C14N_NS + "WithComments"

RSA_SHA1 = DSIG_NS + "rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"

SHA1 = DSIG_NS + "sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"

C14N_METHODS = frozenset({C14N, C14N_COMMENTS, EXC_C14N, EXC_C14N_COMMENTS})
SIGNATURE_METHODS = frozenset({RSA_SHA1, RSA_SHA256, RSA_SHA512})
DIGEST_METHODS = frozenset({SHA1, SHA256, SHA512})
SHA1_METHODS = frozenset({RSA_SHA1, SHA1})

_NAMES = {
    C14N: "c14n",
    C14N_COMMENTS: "c14n-with-comments",
    EXC_C14N: "exc-c14n",
    EXC_C14N_COMMENTS: "exc-c14n-with-comments",
    RSA_SHA1: "rsa-sha1",
    RSA_SHA256: "rsa-sha256",
    RSA_SHA512: "rsa-sha512",
    SHA1: "sha1",
    SHA256: "sha256",
    SHA512: "sha512",
    ENVELOPED: "enveloped-signature",
}

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    RSA_SHA1: hashes.SHA1,
    RSA_SHA256: hashes.SHA256,
    RSA_SHA512: hashes.SHA512,
    SHA1: hashes.SHA1,
    SHA256: hashes.SHA256,
    SHA512: hashes.SHA512,
}


def short_name(uri: str) -> str:
    """'rsa-sha256' for the rsa-sha256 URI; unknown URIs are shown as they are."""
    return _NAMES.get(uri, uri)


def hash_for(uri: str) -> hashes.HashAlgorithm:
    """The hash behind a signature or digest method URI (KeyError when unknown)."""
    return _HASHES[uri]()


def is_exclusive(c14n_uri: str) -> bool:
    return c14n_uri.startswith(EXC_C14N_NS)


def with_comments(c14n_uri: str) -> bool:
    return c14n_uri.endswith("WithComments")


@dataclass(frozen=True)
class Algorithms:
    """The algorithms one signature used, as URIs."""

    c14n: str  # SignedInfo canonicalization
    signature: str
    digest: str
    reference_c14n: str  # how the document was canonicalized for its digest

    def describe(self) -> str:
        return (
            f"{short_name(self.signature)} over {short_name(self.c14n)} SignedInfo; "
            f"document digest {short_name(self.digest)} over {short_name(self.reference_c14n)}"
        )
