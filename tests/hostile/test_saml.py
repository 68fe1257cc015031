"""Hostile identity-provider answers at the SAML assertion consumer, and hostile metadata.

Every refused answer: a 400 page saying why, nobody logged in, nothing stored but the failed attempt
(``login_attempt``), and no planted personal marker in a log line (pysaml2 would log whole messages).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from emrex.db import Database, upgrade
from emrex.demo.saml_idp import IdpAccount, sign_metadata
from emrex.web.login.saml_metadata import MetadataError, read_idp_metadata
from tests.hostile.cases import exercised
from tests.hostile.checks import MARKER, MARKER_ID, logs_clean, no_traceback, nothing_stored, watch_logs
from tests.hostile.webchecks import state_changing_routes
from tests.web.login.saml.support import (
    ACS,
    ANNA,
    BASE,
    DS,
    SAML,
    SP_ENTITY,
    Federation,
    Keys,
    Site,
    SiteFactory,
    assertion_of,
    new_federation,
    new_keys,
    shift,
    sign_assertion,
    unsigned_response,
)

__all__ = ["watch_logs"]

exercised(
    "saml-forged-signature",
    "saml-unsigned-assertion",
    "saml-changed-after-signing",
    "saml-expired",
    "saml-replayed",
    "saml-assertion-id-reused",
    "saml-wrong-audience",
    "saml-no-audience",
    "saml-wrong-recipient",
    "saml-other-request",
    "saml-other-request-encrypted",
    "saml-unsolicited",
    "saml-sha1",
    "saml-xsw-extra-assertion",
    "saml-xsw-duplicate-id",
    "saml-xsw-signature-moved",
    "saml-dtd-entity",
    "saml-xxe",
    "saml-oversized",
    "saml-namespace-flood",
    "saml-element-flood",
    "saml-done-other-browser",
    "saml-logout-forged",
    "saml-csrf-every-form",
    "saml-metadata-unsigned",
    "saml-metadata-wrong-signer",
    "saml-metadata-wrapped",
)

# The planted marker is the attacker's name in the forged assertions.
ATTACKER = IdpAccount(
    "mallory",
    "x",
    {
        "eduPersonPrincipalName": [f"{MARKER}@uni.example"],
        "givenName": [MARKER],
        "sn": ["Mallory"],
        "norEduPersonNIN": [MARKER_ID],
    },
)
ALLOWED = ("login_attempt",)  # a refused answer counts as a failed login, and nothing else


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return new_keys(tmp_path_factory.mktemp("hostile-saml-keys"))


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path}/saml.db"
    upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture
def federation(keys: Keys, tmp_path: Path) -> Federation:
    return new_federation(keys, tmp_path)


@pytest.fixture
def make_site(database: Database, federation: Federation) -> Iterator[SiteFactory]:
    factory = SiteFactory(database, federation)
    yield factory
    factory.close()


@pytest.fixture
def site(make_site: SiteFactory) -> Site:
    return make_site()


def _signed(site: Site, root: etree._Element, signer: str = "idp") -> bytes:
    key, cert = site.federation.keys.pair(signer)
    return sign_assertion(root, key, cert)


def _fresh(site: Site) -> tuple[str, etree._Element]:
    request_id = site.request_id(site.start())
    return request_id, unsigned_response(site.federation, request_id, ATTACKER)


def refused_at_acs(
    site: Site, database: Database, caplog: pytest.LogCaptureFixture, document: bytes | str, *words: str
) -> None:
    with nothing_stored(database, allowed=ALLOWED):
        response = site.post(document)
    assert response.status_code == 400, (response.status_code, response.text[:300])
    no_traceback(response.text)
    for word in words:
        assert word in response.text, (word, response.text[-1500:])
    assert site.browser.get("/me", headers={"accept": "application/json"}).status_code == 401
    logs_clean(caplog)


def _audience(root: etree._Element) -> None:
    for audience in root.iter(f"{{{SAML}}}Audience"):
        audience.text = "https://other-sp.example/shibboleth"


def _no_audience(root: etree._Element) -> None:
    for restriction in list(root.iter(f"{{{SAML}}}AudienceRestriction")):
        restriction.getparent().remove(restriction)


def _recipient(root: etree._Element) -> None:
    for data in root.iter(f"{{{SAML}}}SubjectConfirmationData"):
        data.set("Recipient", "https://other-sp.example/acs")


def _unsolicited(root: etree._Element) -> None:
    del root.attrib["InResponseTo"]
    for data in root.iter(f"{{{SAML}}}SubjectConfirmationData"):
        del data.attrib["InResponseTo"]


SIGNED_BUT_WRONG: dict[str, tuple[Callable[[etree._Element], None], str]] = {
    "saml-expired": (lambda root: shift(root, -dt.timedelta(hours=1)), "not valid at this time"),
    "saml-wrong-audience": (_audience, "meant for another service"),
    "saml-no-audience": (_no_audience, "names no audience"),
    "saml-wrong-recipient": (_recipient, "another recipient"),
    "saml-unsolicited": (_unsolicited, "unsolicited"),
}


@pytest.mark.parametrize("case", sorted(SIGNED_BUT_WRONG))
def test_signed_by_the_real_key_but_wrong(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture, case: str
) -> None:
    change, words = SIGNED_BUT_WRONG[case]
    _, root = _fresh(site)
    change(root)
    refused_at_acs(site, database, watch_logs, _signed(site, root), words)


def test_forged_unsigned_and_changed_assertions(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    _, root = _fresh(site)
    refused_at_acs(site, database, watch_logs, _signed(site, root, "rogue"), "signature is not the identity")
    _, root = _fresh(site)
    refused_at_acs(site, database, watch_logs, etree.tostring(root), "not signed")
    request_id = site.request_id(site.start())
    genuine = _signed(site, unsigned_response(site.federation, request_id, ANNA))
    changed = genuine.replace(b"anna@uni.example", f"{MARKER}@uni.example".encode())
    refused_at_acs(site, database, watch_logs, changed, "signature is not the identity")


def test_sha1_signature(site: Site, database: Database, watch_logs: pytest.LogCaptureFixture) -> None:
    _, root = _fresh(site)
    key, cert = site.federation.keys.pair("idp")
    sha1 = sign_assertion(
        root, key, cert, algorithm="rsa-sha1", digest="http://www.w3.org/2000/09/xmldsig#sha1"
    )
    refused_at_acs(site, database, watch_logs, sha1, "rsa-sha1", "is refused")


def test_replays(site: Site, database: Database, watch_logs: pytest.LogCaptureFixture) -> None:
    _, xml = site.answer(ANNA)
    assert site.post(xml).status_code == 303
    refused_at_acs(site, database, watch_logs, xml, "used already")
    # The identity provider (or someone with its old answer) reuses an assertion id for a new login.
    site.browser.cookies.clear()
    first = site.request_id(site.start())
    root = unsigned_response(site.federation, first, ANNA)
    used = assertion_of(root).get("ID")
    assert site.finish(site.post(_signed(site, root))).status_code == 303
    site.browser.cookies.clear()
    _, again = _fresh(site)
    assertion_of(again).set("ID", str(used))
    refused_at_acs(site, database, watch_logs, _signed(site, again), "used before")


def test_assertion_for_another_request(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    first = site.request_id(site.start())
    second = site.request_id(site.start())
    root = unsigned_response(site.federation, first, ATTACKER)
    root.set("InResponseTo", second)
    refused_at_acs(site, database, watch_logs, _signed(site, root), "another login request")


def test_encrypted_assertion_for_another_request(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    """Inside an encrypted assertion pysaml2 does not compare the confirmation's InResponseTo with the
    Response's; the Response itself is not signed, so its InResponseTo can be changed freely."""
    first = site.request_id(site.start())
    second = site.request_id(site.start())
    xml = site.federation.idp.authn_response(first, ACS, SP_ENTITY, ATTACKER, encrypt=True)
    root = etree.fromstring(xml.encode())
    root.set("InResponseTo", second)
    refused_at_acs(site, database, watch_logs, etree.tostring(root), "another login request")


# --- signature wrapping ---------------------------------------------------------------------------


def _genuine(site: Site) -> tuple[str, etree._Element]:
    """A genuine, correctly signed Response for a new request of this browser (ANNA)."""
    request_id = site.request_id(site.start())
    signed = _signed(site, unsigned_response(site.federation, request_id, ANNA))
    return request_id, etree.fromstring(signed)


def _forged_copy(genuine: etree._Element, new_id: bool) -> etree._Element:
    forged = copy.deepcopy(genuine)
    signature = forged.find(f"{{{DS}}}Signature")
    if signature is not None:
        forged.remove(signature)
    if new_id:
        forged.set("ID", "_" + secrets.token_hex(16))
    for value in forged.iter(f"{{{SAML}}}AttributeValue"):
        if value.text == "anna@uni.example":
            value.text = f"{MARKER}@uni.example"
    return forged


def test_wrapping_with_an_extra_assertion(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    _, root = _genuine(site)
    genuine = assertion_of(root)
    forged = _forged_copy(genuine, new_id=True)
    extensions = etree.Element("{urn:oasis:names:tc:SAML:2.0:protocol}Extensions")
    root.replace(genuine, forged)
    root.insert(1, extensions)
    extensions.append(genuine)  # the genuine signed assertion hides in Extensions
    refused_at_acs(site, database, watch_logs, etree.tostring(root), "exactly one assertion")


def test_wrapping_with_a_repeated_id(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    _, root = _genuine(site)
    genuine = assertion_of(root)
    forged = _forged_copy(genuine, new_id=False)  # the same ID as the signed one
    root.replace(genuine, forged)
    advice = etree.SubElement(forged, f"{{{SAML}}}Advice")
    advice.append(genuine)
    refused_at_acs(site, database, watch_logs, etree.tostring(root), "ID occurs twice")


def test_wrapping_with_the_signature_moved(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    _, root = _genuine(site)
    genuine = assertion_of(root)
    forged = _forged_copy(genuine, new_id=True)
    root.replace(genuine, forged)
    signature = genuine.find(f"{{{DS}}}Signature")
    assert signature is not None
    genuine.remove(signature)
    forged.insert(1, signature)  # refers to the genuine assertion's ID, sits in the forged one
    etree.SubElement(signature, f"{{{DS}}}Object").append(genuine)
    refused_at_acs(site, database, watch_logs, etree.tostring(root), "must cover exactly that element")


# --- parser and size attacks --------------------------------------------------------------------


def test_dtd_and_entities(site: Site, database: Database, watch_logs: pytest.LogCaptureFixture) -> None:
    _, root = _fresh(site)
    body = etree.tostring(_signed_root(site, root)).decode()
    entity = f'<!DOCTYPE r [<!ENTITY who "{MARKER}">]>'
    refused_at_acs(site, database, watch_logs, entity + body.replace("Mallory", "&who;"), "DOCTYPE")
    _, root = _fresh(site)
    body = etree.tostring(_signed_root(site, root)).decode()
    xxe = '<!DOCTYPE r [<!ENTITY who SYSTEM "file:///etc/passwd">]>'
    refused_at_acs(site, database, watch_logs, xxe + body.replace("Mallory", "&who;"), "DOCTYPE")


def _signed_root(site: Site, root: etree._Element) -> etree._Element:
    return etree.fromstring(_signed(site, root))


def test_oversized_answer_is_refused_before_it_is_parsed(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    site.start()
    big = b"<samlp:Response xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'>" + b"<x/>" * 400_000
    began = time.perf_counter()
    refused_at_acs(site, database, watch_logs, big, "larger than 262144 bytes")
    assert time.perf_counter() - began < 5
    # A body announced as larger than the bound is refused before it is read.
    with nothing_stored(database, allowed=ALLOWED), TestClient(site.app, base_url=BASE) as client:
        response = client.post(
            "/login/saml/acs",
            content=b"SAMLResponse=" + b"A" * 2_000_000,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code in (400, 413) and "larger than" in response.text


def test_floods_within_the_size_limit_are_refused_at_once(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    _, root = _fresh(site)
    text = _signed(site, root).decode()
    declared = " ".join(f'xmlns:n{i}="urn:x:{i}"' for i in range(2000))
    flood = text.replace("<ns0:Response ", f"<ns0:Response {declared} ", 1)
    values = "<ns1:AttributeValue>x</ns1:AttributeValue>" * 1000
    flood = flood.replace("</ns1:Attribute>", values + "</ns1:Attribute>", 1)
    assert len(flood) < 256 * 1024
    began = time.process_time()  # CPU time: what the refusal costs, not how busy the machine is
    refused_at_acs(site, database, watch_logs, flood, "too many namespaces")
    assert time.process_time() - began < 2
    _, root = _fresh(site)
    text = _signed(site, root).decode()
    many = "<ns1:AttributeValue>x</ns1:AttributeValue>" * 5000
    began = time.process_time()
    refused_at_acs(
        site, database, watch_logs, text.replace("</ns1:Attribute>", many + "</ns1:Attribute>", 1), "elements"
    )
    assert time.process_time() - began < 2


def test_done_from_another_browser(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    _, xml = site.answer(ANNA)
    done = site.post(xml).headers["location"]
    with nothing_stored(database), TestClient(site.app, base_url=BASE, follow_redirects=False) as other:
        response = other.get(done)
        assert response.status_code == 400 and "not started in this browser" in response.text
        assert other.get("/me", headers={"accept": "application/json"}).status_code == 401
    logs_clean(watch_logs)


def test_forged_logout_answer(site: Site, database: Database, watch_logs: pytest.LogCaptureFixture) -> None:
    site.login(ANNA)
    page = site.browser.get("/logout")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    location = site.browser.post("/logout", data={"csrf_token": token}).headers["location"]
    fields = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    back = urlsplit(site.federation.idp.logout(fields)).query
    parts = dict(p.split("=", 1) for p in back.split("&"))
    key, _ = site.federation.keys.pair("rogue")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    rogue = serialization.load_pem_private_key(key.read_bytes(), None)
    signed = "&".join(f"{k}={parts[k]}" for k in ("SAMLResponse", "SigAlg") if k in parts).encode()
    parts["Signature"] = quote(
        base64.b64encode(rogue.sign(signed, padding.PKCS1v15(), hashes.SHA256())).decode()
    )  # type: ignore[union-attr, call-arg]
    with nothing_stored(database):
        response = site.browser.get("/login/saml/slo?" + "&".join(f"{k}={v}" for k, v in parts.items()))
    assert response.status_code == 400 and "not the identity provider" in response.text
    logs_clean(watch_logs)


def test_only_the_assertion_consumer_takes_posts_without_the_csrf_token(
    site: Site, database: Database, watch_logs: pytest.LogCaptureFixture
) -> None:
    site.login(ANNA)
    routes = state_changing_routes(site.app)
    assert {path for _, path in routes} == {"/login", "/logout", "/login/saml/acs"}
    for method, path in routes:
        if path == "/login/saml/acs":
            continue
        for data in ({}, {"csrf_token": "forged"}):
            with nothing_stored(database):
                response = site.browser.request(method, path, data=data)
            assert response.status_code == 403, (method, path, response.status_code)
    assert site.browser.get("/me", headers={"accept": "application/json"}).status_code == 200
    logs_clean(watch_logs)


# --- metadata -----------------------------------------------------------------------------------


URL = "https://md.federation.example/md.xml"


def _read(federation: Federation, data: bytes) -> None:
    settings = federation.settings(idp_metadata=URL).saml
    assert settings is not None
    read_idp_metadata(
        settings, transport=httpx.MockTransport(lambda request: httpx.Response(200, content=data))
    )


def _unsigned(federation: Federation) -> etree._Element:
    root = etree.fromstring(federation.idp.metadata())
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    root.remove(signature)
    return root


def test_hostile_metadata(federation: Federation) -> None:
    with pytest.raises(MetadataError, match="not signed"):
        _read(federation, etree.tostring(_unsigned(federation)))
    key, cert = federation.keys.pair("rogue")
    with pytest.raises(MetadataError, match="not valid for the configured metadata certificate"):
        _read(federation, sign_metadata(etree.tostring(_unsigned(federation)), key, cert))
    # The genuine signed entity inside an unsigned aggregate that adds a forged identity provider.
    md = "urn:oasis:names:tc:SAML:2.0:metadata"
    forged = _unsigned(federation)
    del forged.attrib["ID"]
    forged.set("entityID", "https://forged.example/idp")
    aggregate = etree.Element(f"{{{md}}}EntitiesDescriptor", nsmap={"md": md})
    aggregate.extend([forged, etree.fromstring(federation.idp.metadata())])
    with pytest.raises(MetadataError, match="not signed"):
        _read(federation, etree.tostring(aggregate))
