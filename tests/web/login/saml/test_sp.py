"""The SAML service provider in a real emrex.web app against a real pysaml2 identity provider."""

from __future__ import annotations

import base64
import datetime as dt
import re
import zlib
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from emrex.db import Database
from emrex.web.login.saml_metadata import POST, REDIRECT
from tests.web.helpers import set_cookies
from tests.web.login.saml.support import (
    ACS,
    ANNA,
    ESI,
    IDP_BASE,
    NAMELESS,
    SAML,
    SAMLP,
    SP_ENTITY,
    SVEN,
    Federation,
    Site,
    SiteFactory,
    make_app,
    publish_without,
    shift,
    sign_assertion,
    unsigned_response,
)


def refused(response: object, *words: str) -> None:
    status = response.status_code  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert status == 400, (status, text[:400])
    assert "Login failed" in text and "Traceback" not in text
    for word in words:
        assert word in text, (word, text[:2000])


def logged_in(site: Site) -> bool:
    return site.browser.get("/me", headers={"accept": "application/json"}).status_code == 200


def idp_signed(site: Site, root: etree._Element) -> bytes:
    key, cert = site.federation.keys.pair("idp")
    return sign_assertion(root, key, cert)


# --- the happy paths --------------------------------------------------------------------------


def test_full_login_gives_the_person_with_mapped_attributes(site: Site) -> None:
    done = site.login(ANNA)
    assert done.status_code == 303 and done.headers["location"] == "/me"
    me = site.browser.get("/me").json()
    assert me["subject"] == "anna@uni.example"
    assert me["name"] == ["Anna Maria", "Berg"]
    assert me["birth_date"] == "2000-01-31"
    assert me["email"] == "anna@uni.example"
    assert me["identifiers"] == {
        "eppn": "anna@uni.example",
        "schacPersonalUniqueCode": ESI,
        "esi": ESI,
        "nationalIdentifier": "200001319999",
    }
    assert me["source"] == "saml" and me["roles"] == ["student"]


def test_login_issues_a_new_session_cookie(site: Site) -> None:
    site.browser.get("/login")  # a session exists before login (the pending request)
    before = site.browser.cookies.get("emrex_session")
    _, xml = site.answer(ANNA)
    done = site.finish(site.post(xml))
    assert done.status_code == 303
    after = set_cookies(done.headers.get_list("set-cookie"))["emrex_session"]
    assert before and before not in after


def test_staff_role_comes_from_the_affiliation_rule(site: Site) -> None:
    site.login(SVEN)
    assert site.browser.get("/me").json()["roles"] == ["staff", "student"]


def test_encrypted_assertion_is_decrypted_and_accepted(site: Site) -> None:
    _, xml = site.answer(ANNA, encrypt=True)
    assert "EncryptedAssertion" in xml and "anna@uni.example" not in xml
    site.finish(site.post(xml))
    assert site.browser.get("/me").json()["subject"] == "anna@uni.example"


def test_encrypted_assertions_can_be_required(make_site: SiteFactory) -> None:
    site = make_site(require_encrypted_assertions=True)
    _, plain = site.answer(ANNA)
    refused(site.post(plain), "must be encrypted")
    _, encrypted = site.answer(ANNA, encrypt=True)
    assert site.finish(site.post(encrypted)).status_code == 303
    assert logged_in(site)


def test_missing_attributes_are_named(site: Site) -> None:
    _, xml = site.answer(NAMELESS)
    response = site.post(xml)
    assert response.status_code == 400
    assert "givenName" in response.text and "sn" in response.text
    assert not logged_in(site)


# --- what we send: signed, SHA-256, nothing SHA-1 -----------------------------------------------


def _inflate(value: str) -> str:
    return zlib.decompress(base64.b64decode(value), -15).decode("utf-8")


def test_authn_request_is_signed_with_rsa_sha256_and_names_our_acs(site: Site) -> None:
    fields = site.start()
    assert fields["SigAlg"] == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    request = _inflate(fields["SAMLRequest"])
    assert "sha1" not in request.lower()
    root = etree.fromstring(request.encode())
    assert root.get("AssertionConsumerServiceURL") == ACS
    assert root.get("ProtocolBinding") == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
    assert root.findtext(f"{{{SAML}}}Issuer") == SP_ENTITY
    # The identity provider checks the signature against our metadata; a changed request fails there.
    assert site.request_id(fields) == root.get("ID")
    changed = dict(fields, SAMLRequest=fields["SAMLRequest"][:-8] + "AAAAAAA=")
    with pytest.raises(Exception, match="refused"):
        site.request_id(changed)


def test_post_binding_request_carries_an_embedded_sha256_signature(
    make_site: SiteFactory, federation: Federation
) -> None:
    publish_without(federation, "SingleSignOnService", REDIRECT)
    site = make_site()
    page = site.browser.get("/login?next=/me")
    assert page.status_code == 200 and f'action="{IDP_BASE}/sso"' in page.text
    encoded = page.text.split('name="SAMLRequest" value="', 1)[1].split('"', 1)[0]
    xml = base64.b64decode(encoded).decode()
    assert "sha1" not in _names_only(xml)
    assert "xmldsig-more#rsa-sha256" in xml and "xmlenc#sha256" in xml
    # pysaml2's identity provider checks the embedded signature against our metadata.
    token = federation.idp.read_request(POST, {"SAMLRequest": encoded})
    pending = federation.idp.pending(token)
    assert pending is not None and pending.acs_url == ACS


def test_sp_metadata_says_sha2_only_and_lists_what_we_ask_for(site: Site) -> None:
    response = site.browser.get("/login/saml/metadata")
    assert response.headers["content-type"].startswith("application/samlmetadata+xml")
    text = response.text
    assert "sha1" not in _names_only(text) and "md5" not in _names_only(text)
    root = etree.fromstring(response.content)
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    assert root.get("entityID") == SP_ENTITY
    sp = root.find(f"{{{md}}}SPSSODescriptor")
    assert sp is not None
    assert sp.get("AuthnRequestsSigned") == "true" and sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{{{md}}}AssertionConsumerService")
    assert acs is not None and acs.get("Location") == ACS and acs.get("Binding").endswith("HTTP-POST")
    uses = sorted(k.get("use") for k in sp.findall(f"{{{md}}}KeyDescriptor"))
    assert uses == ["encryption", "signing"]
    requested = {
        a.get("FriendlyName"): (a.get("Name"), a.get("isRequired"))
        for a in sp.iter(f"{{{md}}}RequestedAttribute")
    }
    assert requested["eduPersonPrincipalName"] == ("urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "true")
    assert requested["schacPersonalUniqueCode"] == ("urn:oid:1.3.6.1.4.1.25178.1.2.14", "false")
    assert requested["schacDateOfBirth"][0] == "urn:oid:1.3.6.1.4.1.25178.1.2.3"
    assert requested["norEduPersonNIN"][0] == "urn:oid:1.3.6.1.4.1.2428.90.1.5"
    assert "eduPersonAffiliation" in requested  # the role rule's source
    assert "http://refeds.org/category/research-and-scholarship" in text
    assert "mailto:emrex@uni.example" in text
    assert '<mdui:PrivacyStatementURL xml:lang="en">https://uni.example/privacy/emrex<' in text


def test_sp_metadata_is_valid_against_the_saml_metadata_schema(site: Site) -> None:
    from saml2.xml.schema import validate

    validate(site.browser.get("/login/saml/metadata").text)


# --- refusals (the attacks are in tests/hostile/test_saml.py) ----------------------------------


def test_answer_from_the_future_is_refused(site: Site) -> None:
    request_id = site.request_id(site.start())
    root = unsigned_response(site.federation, request_id)
    shift(root, dt.timedelta(hours=1))
    refused(site.post(idp_signed(site, root)), "not valid at this time")


def test_small_clock_skew_is_tolerated(site: Site) -> None:
    request_id = site.request_id(site.start())
    root = unsigned_response(site.federation, request_id)
    shift(root, dt.timedelta(seconds=30))  # the IdP's clock runs 30 s ahead; the default skew is 60 s
    assert site.finish(site.post(idp_signed(site, root))).status_code == 303


def test_wrong_destination_is_refused(site: Site) -> None:
    request_id = site.request_id(site.start())
    root = unsigned_response(site.federation, request_id)
    root.set("Destination", "https://other-sp.example/acs")
    refused(site.post(idp_signed(site, root)), "addressed to")


def test_answer_to_a_request_we_never_sent_is_refused(site: Site) -> None:
    site.start()
    root = unsigned_response(site.federation, "id-never-sent-by-us")
    refused(site.post(idp_signed(site, root)), "does not belong to a login started here")


def test_identity_provider_error_status_is_shown(site: Site) -> None:
    request_id = site.request_id(site.start())
    root = unsigned_response(site.federation, request_id)
    code = root.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode")
    assert code is not None
    code.set("Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
    inner = etree.SubElement(code, f"{{{SAMLP}}}StatusCode")
    inner.set("Value", "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed")
    refused(site.post(etree.tostring(root)), "did not log you in", "AuthnFailed")


def test_answer_that_is_not_base64_or_not_a_response_is_refused(site: Site) -> None:
    site.start()
    with site.browser as client:
        refused(client.post("/login/saml/acs", data={"SAMLResponse": "not*base64"}), "base64")
    refused(site.post(b"<html>hello</html>"), "not a SAML Response")
    refused(site.post(b"<unclosed"), "not usable XML")


def test_failed_answers_count_towards_the_login_throttle(make_site: SiteFactory) -> None:
    site = make_site()
    for _ in range(20):
        site.post(b"<nothing/>")
    response = site.post(b"<nothing/>")
    assert response.status_code == 429


# --- single logout ------------------------------------------------------------------------------


def _logout(site: Site) -> str:
    page = site.browser.get("/logout")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = site.browser.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    return response.headers["location"]


def test_single_logout_round_trip(site: Site) -> None:
    site.login(ANNA)
    location = _logout(site)
    assert location.startswith(IDP_BASE + "/slo?")
    fields = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert fields["SigAlg"].endswith("rsa-sha256") and "sha1" not in _inflate(fields["SAMLRequest"]).lower()
    assert not logged_in(site)  # logged out here at once
    back = site.federation.idp.logout(fields)
    assert back.startswith("http://testserver/login/saml/slo?")
    query = urlsplit(back).query
    answer = site.browser.get("/login/saml/slo?" + query)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    refused_again = site.browser.get("/login/saml/slo?" + query)
    assert refused_again.status_code == 400 and "used already" in refused_again.text


def test_logout_answer_with_a_bad_signature_is_refused(site: Site) -> None:
    site.login(ANNA)
    location = _logout(site)
    fields = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    back = site.federation.idp.logout(fields)
    parts = dict(p.split("=", 1) for p in urlsplit(back).query.split("&"))
    parts["Signature"] = quote(base64.b64encode(b"\0" * 256).decode())
    forged = "&".join(f"{k}={v}" for k, v in parts.items())
    response = site.browser.get("/login/saml/slo?" + forged)
    assert response.status_code == 400 and "not the identity provider" in response.text
    unsigned = "&".join(f"{k}={v}" for k, v in parts.items() if k not in ("Signature", "SigAlg"))
    response = site.browser.get("/login/saml/slo?" + unsigned)
    assert response.status_code == 400 and "not signed" in response.text


def test_logout_without_single_logout_at_the_idp_ends_here(
    make_site: SiteFactory, federation: Federation
) -> None:
    publish_without(federation, "SingleLogoutService")
    site = make_site()
    site.login(ANNA)
    assert _logout(site) == "/"
    assert not logged_in(site)


def test_partial_logout_at_the_identity_provider_says_so(site: Site) -> None:
    site.login(ANNA)
    site.browser.get("/logout?lang=sv")  # the language cookie, for the page at the end
    location = _logout(site)
    fields = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    back = site.federation.idp.logout(fields, everywhere=False)
    page = site.browser.get("/login/saml/slo?" + urlsplit(back).query)
    assert page.status_code == 200
    assert "Utloggad" in page.text and "identitetsutgivare kunde inte avsluta" in page.text
    assert not logged_in(site)


def test_unreachable_identity_provider_metadata_gives_a_page_not_a_crash(
    database: Database, federation: Federation
) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    login = federation.settings(idp_metadata="https://md.federation.example/idp.xml")
    app = make_app(database, login, saml_transport=httpx.MockTransport(down))
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as browser:
        assert browser.get("/login/saml/metadata").status_code == 200  # ours needs no IdP
        page = browser.get("/login?next=/me")
    assert page.status_code == 502
    assert "The identity provider cannot be used right now" in page.text and "Traceback" not in page.text


def _names_only(xml: str) -> str:
    """The document in lower case without its base64 values (a certificate or a signature value may
    hold the letters 'sha1' or 'md5' by chance): what is left names algorithms."""
    return re.sub(r">[A-Za-z0-9+/=\s]{40,}<", "><", xml).lower()
