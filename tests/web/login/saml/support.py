"""A small SAML federation for the tests: keys from emrex.trust.ca, a real pysaml2 identity provider
(emrex.demo.saml_idp) whose metadata the "federation" key signs, and our service provider in an app.

Cross-site: the identity provider's answer is posted by a client without the browser's cookies, as a
``SameSite=Lax`` browser does.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from lxml import etree

from emrex.db import Database
from emrex.demo.saml_idp import IdentityProvider, IdpAccount, sign_metadata
from emrex.trust.ca import Issued, issue, make_ca
from emrex.trust.keys import save_issued
from emrex.web import WebSettings, create_web_app
from emrex.web.auth import Person, person_context, require_person
from emrex.web.login import LOCALE_DIR, TEMPLATES_DIR, LoginSettings, cross_site_paths, login_router

BASE = "http://testserver"
SP_ENTITY = BASE + "/login/saml/metadata"
ACS = BASE + "/login/saml/acs"
IDP_ENTITY = "https://idp.uni.example/idp"
IDP_BASE = "https://idp.uni.example"
ESI = "urn:schac:personalUniqueCode:int:esi:uni.example:2000-0131"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"

ANNA = IdpAccount(
    "anna",
    "anna-pw",
    {
        "eduPersonPrincipalName": ["anna@uni.example"],
        "givenName": ["Anna Maria"],
        "sn": ["Berg"],
        "schacDateOfBirth": ["20000131"],
        "mail": ["anna@uni.example"],
        "schacPersonalUniqueCode": [ESI],
        "norEduPersonNIN": ["200001319999"],
        "eduPersonAffiliation": ["student", "member"],
    },
)
SVEN = IdpAccount(
    "sven",
    "sven-pw",
    {
        "eduPersonPrincipalName": ["sven@uni.example"],
        "givenName": ["Sven"],
        "sn": ["Lund"],
        "eduPersonAffiliation": ["staff", "member"],
    },
)
NAMELESS = IdpAccount("nameless", "x", {"eduPersonPrincipalName": ["nameless@uni.example"]})


@dataclass
class Keys:
    folder: Path
    ca: Issued

    def pair(self, name: str) -> tuple[Path, Path]:
        directory = self.folder / name
        if not (directory / "key.pem").exists():
            save_issued(directory, issue(self.ca, f"{name} SAML test"))
        return directory / "key.pem", directory / "cert.pem"


def new_keys(folder: Path) -> Keys:
    return Keys(folder, make_ca("SAML test CA"))


@dataclass
class Federation:
    """The test identity provider, its signed metadata file, and our SP's settings."""

    keys: Keys
    folder: Path
    idp: IdentityProvider
    sp_metadata: list[str] = field(default_factory=list)

    @property
    def metadata_file(self) -> Path:
        return self.folder / "idp-metadata.xml"

    def publish(self, data: bytes | None = None) -> None:
        self.metadata_file.write_bytes(data if data is not None else self.idp.metadata())

    def login_config(self, base: str = BASE, **saml: Any) -> dict[str, Any]:
        key, cert = self.keys.pair("sp")
        _, federation_cert = self.keys.pair("federation")
        table: dict[str, Any] = {
            "entity_id": base + "/login/saml/metadata",
            "base_url": base,
            "key_file": str(key),
            "certificate_file": str(cert),
            "idp_metadata": str(self.metadata_file),
            "idp_metadata_certificate": str(federation_cert),
            "organization_name": "University of Example",
            "organization_url": "https://uni.example",
            "privacy_statement_url": "https://uni.example/privacy/emrex",
            "technical_contact": "emrex@uni.example",
            "entity_categories": ["http://refeds.org/category/research-and-scholarship"],
            **saml,
        }
        return {
            "method": "saml",
            "production": False,
            "saml": table,
            "role_rules": [{"role": "staff", "source": "eduPersonAffiliation", "values": ["staff"]}],
        }

    def settings(self, **saml: Any) -> LoginSettings:
        return LoginSettings.from_mapping(self.login_config(**saml))


def new_federation(
    saml_keys: Keys, folder: Path, accounts: Sequence[IdpAccount] = (ANNA, SVEN, NAMELESS)
) -> Federation:
    key, cert = saml_keys.pair("idp")
    fed_key, fed_cert = saml_keys.pair("federation")
    holder: list[str] = []
    idp = IdentityProvider(
        entity_id=IDP_ENTITY,
        base_url=IDP_BASE,
        key_file=key,
        certificate_file=cert,
        accounts=list(accounts),
        sp_metadata=lambda: holder,
        metadata_key_file=fed_key,
        metadata_certificate_file=fed_cert,
    )
    found = Federation(saml_keys, folder, idp, holder)
    found.publish()
    return found


def make_app(database: Database, login: LoginSettings, **router: Any) -> FastAPI:
    web = WebSettings(base_url=BASE, secure_cookies=False, dev_http_hosts=("testserver",))
    app = create_web_app(
        web,
        database,
        title="SAML test service",
        templates_dirs=[TEMPLATES_DIR],
        locale_dirs=[LOCALE_DIR],
        exempt_paths=cross_site_paths(login),
        context_processors=[person_context],
    )
    app.include_router(login_router(login, database, **router))

    @app.get("/me")
    def me(person: Person = Depends(require_person)) -> dict[str, Any]:  # noqa: B008
        return {
            "subject": person.subject,
            "name": [person.given_names, person.family_name],
            "birth_date": person.birth_date.isoformat() if person.birth_date else None,
            "identifiers": dict(person.identifiers),
            "email": person.email,
            "roles": sorted(person.roles),
            "source": person.source,
        }

    return app


@dataclass
class Site:
    """The service in a browser (``browser``, with cookies) and the IdP's cross-site post (``post``)."""

    app: FastAPI
    browser: TestClient
    federation: Federation
    base: str = BASE

    @property
    def acs(self) -> str:
        return self.base + "/login/saml/acs"

    @property
    def sp_entity(self) -> str:
        return self.base + "/login/saml/metadata"

    def start(self, next_url: str = "/me") -> dict[str, str]:
        """GET /login: the redirect to the identity provider; returns its query parameters."""
        response = self.browser.get(f"/login?next={next_url}")
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert location.startswith(IDP_BASE + "/sso?"), location
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}

    def request_id(self, fields: dict[str, str]) -> str:
        token = self.federation.idp.read_request("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect", fields)
        pending = self.federation.idp.pending(token)
        assert pending is not None
        return pending.request_id

    def answer(self, account: IdpAccount = ANNA, *, encrypt: bool = False) -> tuple[str, str]:
        """Start a login and let the identity provider answer: (request id, SAMLResponse XML)."""
        request_id = self.request_id(self.start())
        xml = self.federation.idp.authn_response(request_id, self.acs, self.sp_entity, account, encrypt)
        return request_id, xml

    def post(self, xml: str | bytes) -> httpx.Response:
        data = xml.encode("utf-8") if isinstance(xml, str) else xml
        encoded = base64.b64encode(data).decode("ascii")
        with TestClient(self.app, base_url=self.base, follow_redirects=False) as idp_browser:
            return idp_browser.post("/login/saml/acs", data={"SAMLResponse": encoded})

    def finish(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 303, response.text
        return self.browser.get(response.headers["location"])

    def login(self, account: IdpAccount = ANNA, *, encrypt: bool = False) -> httpx.Response:
        _, xml = self.answer(account, encrypt=encrypt)
        return self.finish(self.post(xml))


class SiteFactory:
    """Builds apps with the SAML login against ``federation``; ``close`` ends their clients."""

    def __init__(self, database: Database, federation: Federation) -> None:
        self.database = database
        self.federation = federation
        self.clients: list[TestClient] = []

    def __call__(self, **saml: Any) -> Site:
        login = self.federation.settings(**saml)
        app = make_app(self.database, login)
        return self.site(app)

    def site(self, app: FastAPI, base: str = BASE) -> Site:
        browser = TestClient(app, base_url=base, follow_redirects=False)
        self.clients.append(browser)
        return connect(app, browser, self.federation, base)

    def close(self) -> None:
        for client in self.clients:
            client.close()


def connect(app: FastAPI, browser: TestClient, federation: Federation, base: str = BASE) -> Site:
    """Register the service's SP metadata with the test identity provider (as a federation would)."""
    metadata = browser.get("/login/saml/metadata")
    assert metadata.status_code == 200
    entity = f'entityID="{base}/login/saml/metadata"'
    federation.sp_metadata[:] = [m for m in federation.sp_metadata if entity not in m] + [metadata.text]
    federation.idp.forget_service_providers()
    return Site(app, browser, federation, base)


# --- building answers the identity provider would not send ---------------------------------------


def unsigned_response(federation: Federation, request_id: str, account: IdpAccount = ANNA) -> etree._Element:
    """The identity provider's Response for ``request_id`` before anything is signed (to be changed)."""
    idp = federation.idp
    from saml2.saml import NAMEID_FORMAT_TRANSIENT, NameID

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        response = idp.server.create_authn_response(
            {k: list(v) for k, v in account.attributes.items()},
            request_id,
            ACS,
            SP_ENTITY,
            name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text=secrets.token_hex(8)),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_assertion=False,
            sign_response=False,
        )
    return etree.fromstring(str(response).encode("utf-8"))


def assertion_of(root: etree._Element) -> etree._Element:
    found = root.find(f"{{{SAML}}}Assertion")
    assert found is not None
    return found


def sign_assertion(
    root: etree._Element,
    key_file: Path,
    cert_file: Path,
    *,
    algorithm: str = "rsa-sha256",
    digest: str = "http://www.w3.org/2001/04/xmlenc#sha256",
) -> bytes:
    """``root`` with its assertion signed by ``key_file`` (xmlsec1), as a real IdP would."""
    assertion = assertion_of(root)
    methods = {
        "rsa-sha256": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "rsa-sha1": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    }
    certificate = "".join(line for line in cert_file.read_text().splitlines() if "-----" not in line)
    signature = etree.fromstring(
        f"""<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
<ds:SignatureMethod Algorithm="{methods[algorithm]}"/><ds:Reference URI="#{assertion.get("ID")}">
<ds:Transforms><ds:Transform Algorithm="{DS}enveloped-signature"/>
<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>
<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/>
<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>
</ds:Signature>"""
    )
    assertion.insert(1, signature)  # after the Issuer
    return _xmlsec_sign(root, key_file, "urn:oasis:names:tc:SAML:2.0:assertion:Assertion")


def _xmlsec_sign(root: etree._Element, key_file: Path, node: str) -> bytes:
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.xml", Path(folder) / "out.xml"
        source.write_bytes(etree.tostring(root))
        command = ["xmlsec1", "--sign", "--privkey-pem", str(key_file), "--id-attr:ID", node]
        command += ["--output", str(target), str(source)]
        done = subprocess.run(command, capture_output=True, check=False)
        assert done.returncode == 0, done.stderr
        return target.read_bytes()


def shift(root: etree._Element, delta: dt.timedelta) -> None:
    """Move every time in the response by ``delta`` (before signing)."""
    for element in root.iter():
        for name in ("IssueInstant", "NotBefore", "NotOnOrAfter", "AuthnInstant", "SessionNotOnOrAfter"):
            value = element.get(name)
            if value:
                moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00")) + delta
                element.set(name, moment.strftime("%Y-%m-%dT%H:%M:%SZ"))


def resign_metadata(data: bytes, federation: Federation) -> bytes:
    key, cert = federation.keys.pair("federation")
    return sign_metadata(data, key, cert)


def publish_without(federation: Federation, service: str, binding: str = "") -> None:
    """Publish the identity provider's metadata without its ``service`` endpoints (of ``binding``)."""
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    root = etree.fromstring(federation.idp.metadata())
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    root.remove(signature)
    for element in list(root.iter(f"{{{md}}}{service}")):
        if not binding or element.get("Binding") == binding:
            element.getparent().remove(element)
    federation.publish(resign_metadata(etree.tostring(root), federation))
