"""python3-saml (OneLogin), an independent SAML implementation, as the oracle.

Configured as a second service provider with our SP's entity id and ACS, it judges the same documents
our SP judges: what the test identity provider sends, and the forged answers. It also checks the
signatures we make (the AuthnRequest's Redirect-binding signature, the demo federation's metadata
signature) without pysaml2 or our code.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote_plus, urlsplit

import pytest
from lxml import etree

from tests.web.login.saml.support import (
    ACS,
    ANNA,
    IDP_ENTITY,
    SAML,
    SP_ENTITY,
    Site,
    shift,
    sign_assertion,
    unsigned_response,
)

onelogin = pytest.importorskip("onelogin.saml2.response")
from onelogin.saml2.response import OneLogin_Saml2_Response  # noqa: E402
from onelogin.saml2.settings import OneLogin_Saml2_Settings  # noqa: E402
from onelogin.saml2.utils import OneLogin_Saml2_Utils  # noqa: E402

REQUEST_DATA = {"https": "off", "http_host": "testserver", "script_name": "/login/saml/acs"}


def _body(path: Path) -> str:
    return "".join(line for line in path.read_text().splitlines() if "-----" not in line)


def oracle(site: Site) -> OneLogin_Saml2_Settings:
    keys = site.federation.keys
    sp_key, sp_cert = keys.pair("sp")
    _, idp_cert = keys.pair("idp")
    return OneLogin_Saml2_Settings(
        {
            "strict": True,
            "sp": {
                "entityId": SP_ENTITY,
                "assertionConsumerService": {
                    "url": ACS,
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
                "x509cert": _body(sp_cert),
                "privateKey": sp_key.read_text(),
            },
            "idp": {
                "entityId": IDP_ENTITY,
                "singleSignOnService": {
                    "url": "https://idp.uni.example/sso",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                "x509cert": _body(idp_cert),
            },
            "security": {
                "wantAssertionsSigned": True,
                "rejectDeprecatedAlgorithm": True,
                "wantNameId": True,
                "allowSingleLabelDomains": True,  # http://testserver
            },
        }
    )


def oracle_accepts(site: Site, xml: bytes | str, request_id: str) -> bool:
    data = xml.encode() if isinstance(xml, str) else xml
    response = OneLogin_Saml2_Response(oracle(site), base64.b64encode(data).decode())
    return bool(response.is_valid(dict(REQUEST_DATA), request_id))


def we_accept(site: Site, xml: bytes | str) -> bool:
    return site.post(xml).status_code == 303


def test_the_oracle_accepts_what_our_identity_provider_sends(site: Site) -> None:
    request_id, xml = site.answer(ANNA)
    settings = oracle(site)
    response = OneLogin_Saml2_Response(settings, base64.b64encode(xml.encode()).decode())
    assert response.is_valid(dict(REQUEST_DATA), request_id, raise_exceptions=True)
    attributes = response.get_attributes()
    assert attributes["urn:oid:1.3.6.1.4.1.5923.1.1.1.6"] == ["anna@uni.example"]
    assert attributes["urn:oid:1.3.6.1.4.1.25178.1.2.3"] == ["20000131"]
    assert we_accept(site, xml)


def test_the_oracle_decrypts_what_our_identity_provider_encrypts(site: Site) -> None:
    """python3-saml's own check of an encrypted answer puts the decrypted assertion back into the
    Response in place, where lxml gives it the Response's namespace prefix: pysaml2's self-contained
    assertions use another prefix, so that check fails on a digest that xmlsec1 and our SP find good.
    The oracle's parts are used instead: its decryption, then its signature check on the assertion."""
    _, xml = site.answer(ANNA, encrypt=True)
    root = etree.fromstring(xml.encode())
    data = root.find(f"{{{SAML}}}EncryptedAssertion/{{http://www.w3.org/2001/04/xmlenc#}}EncryptedData")
    assert data is not None
    sp_key, _ = site.federation.keys.pair("sp")
    assertion = OneLogin_Saml2_Utils.decrypt_element(data, sp_key.read_text())
    assert etree.QName(assertion).localname == "Assertion"
    _, idp_cert = site.federation.keys.pair("idp")
    standalone = etree.fromstring(etree.tostring(assertion))
    assert OneLogin_Saml2_Utils.validate_sign(
        standalone, idp_cert.read_text(), xpath="/saml:Assertion/ds:Signature", raise_exceptions=True
    )
    assert b"Berg" in etree.tostring(standalone)
    assert we_accept(site, xml)


def _forged(
    site: Site, request_id: str, change: Callable[[etree._Element], None], signer: str = "idp"
) -> bytes:
    root = unsigned_response(site.federation, request_id)
    change(root)
    key, cert = site.federation.keys.pair(signer)
    return sign_assertion(root, key, cert)


def _audience(root: etree._Element) -> None:
    for audience in root.iter(f"{{{SAML}}}Audience"):
        audience.text = "https://other-sp.example/shibboleth"


def _recipient(root: etree._Element) -> None:
    for data in root.iter(f"{{{SAML}}}SubjectConfirmationData"):
        data.set("Recipient", "https://other-sp.example/acs")


CASES: dict[str, tuple[Callable[[etree._Element], None], str]] = {
    "genuine": (lambda root: None, "idp"),
    "signed by another key": (lambda root: None, "rogue"),
    "expired": (lambda root: shift(root, -dt.timedelta(hours=1)), "idp"),
    "wrong audience": (_audience, "idp"),
    "wrong recipient": (_recipient, "idp"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_we_and_the_oracle_agree(site: Site, case: str) -> None:
    change, signer = CASES[case]
    request_id = site.request_id(site.start())
    xml = _forged(site, request_id, change, signer)
    ours, theirs = we_accept(site, xml), oracle_accepts(site, xml, request_id)
    assert ours == theirs == (case == "genuine"), (ours, theirs)


def test_the_oracle_verifies_our_authn_request_signature(site: Site) -> None:
    location = site.browser.get("/login?next=/").headers["location"]
    query = urlsplit(location).query
    parts = dict(piece.split("=", 1) for piece in query.split("&"))
    signed = "&".join(f"{name}={parts[name]}" for name in ("SAMLRequest", "SigAlg"))
    _, sp_cert = site.federation.keys.pair("sp")
    signature = base64.b64decode(unquote_plus(parts["Signature"]))
    algorithm = unquote_plus(parts["SigAlg"])
    assert algorithm == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert OneLogin_Saml2_Utils.validate_binary_sign(signed, signature, sp_cert.read_text(), algorithm)
    _, rogue = site.federation.keys.pair("rogue")
    assert not OneLogin_Saml2_Utils.validate_binary_sign(signed, signature, rogue.read_text(), algorithm)


def test_the_oracle_verifies_the_federation_metadata_signature(site: Site) -> None:
    _, federation_cert = site.federation.keys.pair("federation")
    metadata = site.federation.idp.metadata()
    assert OneLogin_Saml2_Utils.validate_metadata_sign(metadata, federation_cert.read_text())
    tampered = metadata.replace(b"/slo", b"/evil")
    assert not OneLogin_Saml2_Utils.validate_metadata_sign(
        tampered, _body(federation_cert), validatecert=False
    )
