"""A service as an OpenID4VCI credential issuer, the parts every issuing service shares: the issuer of
its settings table (``[emc.wallet]`` on the EMC, ``[wallet]`` on the EMP, ``web.settings.WalletSettings``)
with its key and certificate checked at start, the offer page's QR code and values, and the endpoints.

The certificate must name the issuing organisation (O, C and organizationIdentifier): the ELM inside
the credential names it as issuer. The issuer's state lives in the database (``web.wallet_store``), so
any worker answers the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from markupsafe import Markup

from emrex.config.errors import ConfigError
from emrex.elm import Sealer as ElmIssuer
from emrex.trust.certs import CertificateError, load_certificates
from emrex.trust.orgid import organization_identifier_of
from emrex.wallet.certificates import leaf_key, x5c_of
from emrex.wallet.errors import WalletError
from emrex.wallet.issuer import CredentialIssuer, IssuerConfig, Offer
from emrex.wallet.jose import load_private_key, public_jwk, signing_key
from emrex.wallet.urls import at_wallet
from emrex.web.settings import WalletSettings
from emrex.web.wallet import issuer_router
from emrex.web.wallet_store import DatabaseIssuerStore

NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class WalletIssuing:
    issuer: CredentialIssuer
    elm_issuer: ElmIssuer  # the organisation the ELM names: the certificate's
    web_wallet_url: str = ""  # a web wallet's credential offer endpoint: the offer page links there too

    @classmethod
    def load(
        cls,
        config: WalletSettings,
        *,
        base_url: str,
        title: str,
        store: DatabaseIssuerStore,
        where: str,
        error: type[ConfigError],
    ) -> WalletIssuing:
        """The issuer of the ``where`` table, its key and certificate loaded and checked; ``error`` (the
        service's ConfigError) names the setting when they cannot be used."""
        try:
            certificates = load_certificates(config.cert_file.read_bytes())
            key = signing_key(
                load_private_key(config.key_file.read_bytes(), str(config.key_file)), x5c_of(certificates)
            )
        except OSError as failed:
            raise error(f"{where}: {failed.filename}: cannot read ({failed.strerror})") from None
        except (CertificateError, WalletError) as failed:
            raise error(f"{where}: {failed}") from None
        if public_jwk(leaf_key(certificates[0])) != key.public_jwk:
            raise error(f"{where}.key_file: {config.key_file} is not the key of its certificate")
        subject = certificates[0].subject
        names = subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        countries = subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
        identifier = organization_identifier_of(certificates[0])
        if not (names and countries and identifier):
            raise error(
                f"{where}.cert_file: {config.cert_file} must name the issuing organisation (O, C and "
                "organizationIdentifier): the credential's ELM names it as issuer"
            )
        elm_issuer = ElmIssuer({"en": str(names[0].value)}, str(countries[0].value).upper(), identifier)
        try:
            issuer = CredentialIssuer(IssuerConfig(base_url.rstrip("/"), key, config.name or title), store)
        except WalletError as failed:
            raise error(f"base_url: {failed}") from None
        return cls(issuer, elm_issuer, config.web_wallet_url)

    def offer_values(self, made: Offer) -> dict[str, object]:
        """What the shared offer fragment (``emrex/wallet_offer.html``) shows."""
        web_wallet = at_wallet(made.link, self.web_wallet_url) if self.web_wallet_url else None
        return {
            "offer": made,
            "qr": qr_svg(made.link),
            "minutes": self.issuer.config.offer_seconds // 60,
            "web_wallet": web_wallet,
        }


def qr_svg(link: str) -> Markup:
    """The link as a QR code: inline SVG, dark on white, scaled by the page."""
    code = segno.make(link, error="m")
    return Markup(code.svg_inline(scale=4, border=4, dark="#000", light="#fff", title="QR"))  # noqa: S704


def mount_issuer(app: FastAPI, issuing: WalletIssuing) -> None:
    """The OpenID4VCI endpoints (metadata, offers, token, nonce, credential, status list); the service
    lists ``issuing.issuer.post_paths`` as CSRF-exempt."""
    app.include_router(issuer_router(issuing.issuer))
