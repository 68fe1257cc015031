"""EU Digital Identity wallets: ELM credentials as SD-JWT VCs, issued over OpenID4VCI and presented over
OpenID4VP, revoked through a Token Status List. Core: no web framework, no database (the services wire
the handlers to routes with ``emrex.web.wallet`` and back the stores with their database)."""

from __future__ import annotations

from emrex.wallet.certificates import TrustAnchors, issue_certificate, x5c_of
from emrex.wallet.credential import VC_TYP, elm_claims, issue_elm_credential
from emrex.wallet.dcql import elm_query
from emrex.wallet.errors import (
    CredentialExpired,
    CredentialRevoked,
    DisclosureRefused,
    HolderError,
    KeyBindingRefused,
    ProtocolError,
    Refused,
    SignatureRefused,
    StatusUnavailable,
    TooLarge,
    Unreadable,
    UntrustedIssuer,
    WalletError,
    WalletKeyError,
    WrongType,
)
from emrex.wallet.holder import HeldCredential, Holder, Presented
from emrex.wallet.issuer import CredentialIssuer, IssuerConfig, Offer
from emrex.wallet.jose import SigningKey, load_private_key, public_jwk, signing_key
from emrex.wallet.presentation import present
from emrex.wallet.reply import Reply
from emrex.wallet.statuslist import StatusList, check_status, http_fetch, status_list_token
from emrex.wallet.store import (
    IssuedRecord,
    IssuerStore,
    MemoryStore,
    OfferRecord,
    SessionRecord,
    VerifierStore,
)
from emrex.wallet.typemeta import ELM_VCT, type_metadata
from emrex.wallet.verification import VerifiedCredential, VerifyPolicy, verify_presentation
from emrex.wallet.verifier import (
    PresentationRequest,
    PresentationResult,
    PresentationVerifier,
    VerifierConfig,
)

__all__ = [
    "ELM_VCT",
    "VC_TYP",
    "CredentialExpired",
    "CredentialIssuer",
    "CredentialRevoked",
    "DisclosureRefused",
    "HeldCredential",
    "Holder",
    "HolderError",
    "IssuedRecord",
    "IssuerConfig",
    "IssuerStore",
    "KeyBindingRefused",
    "MemoryStore",
    "Offer",
    "OfferRecord",
    "PresentationRequest",
    "PresentationResult",
    "PresentationVerifier",
    "Presented",
    "ProtocolError",
    "Refused",
    "Reply",
    "SessionRecord",
    "SignatureRefused",
    "SigningKey",
    "StatusList",
    "StatusUnavailable",
    "TooLarge",
    "TrustAnchors",
    "Unreadable",
    "UntrustedIssuer",
    "VerifiedCredential",
    "VerifierConfig",
    "VerifierStore",
    "VerifyPolicy",
    "WalletError",
    "WalletKeyError",
    "WrongType",
    "check_status",
    "elm_claims",
    "elm_query",
    "http_fetch",
    "issue_certificate",
    "issue_elm_credential",
    "load_private_key",
    "present",
    "public_jwk",
    "signing_key",
    "status_list_token",
    "type_metadata",
    "verify_presentation",
    "x5c_of",
]
