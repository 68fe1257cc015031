"""The identity provider's metadata: signed by the federation's key, or refused; and its refresh."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
from lxml import etree

from emrex.web.login.saml import ServiceProvider
from emrex.web.login.saml_metadata import MetadataError, read_idp_metadata
from emrex.web.login.table import LoginConfigError
from tests.web.login.saml.support import DS, IDP_ENTITY, Federation, resign_metadata

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
URL = "https://md.federation.example/idp.xml"


def _served(data: bytes, status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=data))


def _url_settings(federation: Federation, **saml: object):  # type: ignore[no-untyped-def]
    settings = federation.settings(idp_metadata=URL, **saml)
    assert settings.saml is not None
    return settings.saml


def _unsigned(federation: Federation) -> etree._Element:
    root = etree.fromstring(federation.idp.metadata())
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    root.remove(signature)
    return root


def test_signed_metadata_from_a_url_is_read(federation: Federation) -> None:
    idp = read_idp_metadata(_url_settings(federation), transport=_served(federation.idp.metadata()))
    assert idp.entity_id == IDP_ENTITY and idp.signed
    assert set(idp.sso) == {
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
    }
    assert idp.slo and idp.signing_certificates
    assert idp.valid_until is not None and idp.valid_until > dt.datetime.now(dt.UTC)


def test_unsigned_metadata_from_a_url_is_refused(federation: Federation) -> None:
    data = etree.tostring(_unsigned(federation))
    with pytest.raises(MetadataError, match="not signed"):
        read_idp_metadata(_url_settings(federation), transport=_served(data))


def test_unsigned_metadata_from_a_url_needs_the_development_switch(federation: Federation) -> None:
    with pytest.raises(LoginConfigError, match=r"login\.saml\.idp_metadata_certificate: metadata from a URL"):
        federation.settings(idp_metadata=URL, idp_metadata_certificate="")
    settings = _url_settings(federation, idp_metadata_certificate="", allow_unsigned_metadata=True)
    idp = read_idp_metadata(settings, transport=_served(etree.tostring(_unsigned(federation))))
    assert not idp.signed


def test_metadata_signed_by_another_key_is_refused(federation: Federation) -> None:
    from emrex.demo.saml_idp import sign_metadata

    key, cert = federation.keys.pair("rogue")
    data = sign_metadata(etree.tostring(_unsigned(federation)), key, cert)
    with pytest.raises(MetadataError, match="not valid for the configured metadata certificate"):
        read_idp_metadata(_url_settings(federation), transport=_served(data))


def test_metadata_changed_after_signing_is_refused(federation: Federation) -> None:
    data = federation.idp.metadata().replace(b"https://idp.uni.example/slo", b"https://evil.example/slo")
    with pytest.raises(MetadataError, match="not valid"):
        read_idp_metadata(_url_settings(federation), transport=_served(data))


def test_a_file_is_checked_too_when_a_certificate_is_configured(federation: Federation) -> None:
    federation.publish(federation.idp.metadata().replace(b"/slo", b"/evil"))
    with pytest.raises(
        LoginConfigError, match=r"login\.saml\.idp_metadata: the metadata signature is not valid"
    ):
        ServiceProvider(federation.settings())


def test_a_file_without_a_certificate_may_be_unsigned(federation: Federation) -> None:
    federation.publish(etree.tostring(_unsigned(federation)))
    settings = federation.settings(idp_metadata_certificate="")
    assert settings.saml is not None
    assert not read_idp_metadata(settings.saml).signed


def test_expired_metadata_is_refused(federation: Federation) -> None:
    root = _unsigned(federation)
    root.set("validUntil", "2020-01-01T00:00:00Z")
    data = resign_metadata(etree.tostring(root), federation)
    with pytest.raises(MetadataError, match="expired at 2020-01-01"):
        read_idp_metadata(_url_settings(federation), transport=_served(data))


def test_sha1_signed_metadata_is_refused(federation: Federation) -> None:
    data = federation.idp.metadata()
    sha1 = data.replace(b"xmldsig-more#rsa-sha256", b"xmldsig#rsa-sha1")
    with pytest.raises(MetadataError, match="rsa-sha1"):
        read_idp_metadata(_url_settings(federation), transport=_served(sha1))


def test_signature_over_an_inner_entity_only_is_refused(federation: Federation) -> None:
    """Wrapping: the genuine signed EntityDescriptor inside an unsigned aggregate with a forged IdP."""
    genuine = etree.fromstring(federation.idp.metadata())
    forged = etree.fromstring(etree.tostring(_unsigned(federation)))
    forged.set("entityID", "https://forged.example/idp")
    aggregate = etree.Element(f"{{{MD}}}EntitiesDescriptor", nsmap={"md": MD})
    aggregate.append(forged)
    aggregate.append(genuine)
    with pytest.raises(MetadataError, match="not signed"):
        read_idp_metadata(_url_settings(federation), transport=_served(etree.tostring(aggregate)))


def test_a_second_signature_is_refused(federation: Federation) -> None:
    root = etree.fromstring(federation.idp.metadata())
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    root.insert(1, etree.fromstring(etree.tostring(signature)))
    with pytest.raises(MetadataError, match="two signatures"):
        read_idp_metadata(_url_settings(federation), transport=_served(etree.tostring(root)))


def test_metadata_with_a_dtd_is_refused(federation: Federation) -> None:
    data = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]>'
        + federation.idp.metadata().split(b"?>", 1)[1]
    )
    with pytest.raises(MetadataError, match="DOCTYPE"):
        read_idp_metadata(_url_settings(federation), transport=_served(data))


def test_oversized_metadata_is_refused_while_it_arrives(federation: Federation) -> None:
    sent: list[int] = []

    def stream() -> object:
        for _ in range(100):
            sent.append(1)
            yield b" " * (256 * 1024)

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=stream()))  # type: ignore[arg-type]
    with pytest.raises(MetadataError, match="larger than 1048576 bytes"):
        read_idp_metadata(_url_settings(federation, max_metadata_mb=1), transport=transport)
    assert len(sent) < 10  # stopped reading after the limit


def test_an_aggregate_needs_the_idp_named(federation: Federation) -> None:
    one = _unsigned(federation)
    del one.attrib["ID"]
    two = etree.fromstring(etree.tostring(one))
    two.set("entityID", "https://other-idp.example/idp")
    aggregate = etree.Element(f"{{{MD}}}EntitiesDescriptor", nsmap={"md": MD})
    aggregate.extend([one, two])
    data = resign_metadata(etree.tostring(aggregate), federation)
    with pytest.raises(MetadataError, match="lists 2 identity providers"):
        read_idp_metadata(_url_settings(federation), transport=_served(data))
    idp = read_idp_metadata(_url_settings(federation, idp_entity_id=IDP_ENTITY), transport=_served(data))
    assert idp.entity_id == IDP_ENTITY
    # Only the chosen entity reaches pysaml2: no other entity's keys are trusted.
    assert b"other-idp" not in idp.entity_xml.encode()
    with pytest.raises(MetadataError, match=r"no identity provider 'https://nowhere\.example/idp'"):
        read_idp_metadata(
            _url_settings(federation, idp_entity_id="https://nowhere.example/idp"), transport=_served(data)
        )


def test_unreachable_metadata_says_so(federation: Federation) -> None:
    with pytest.raises(MetadataError, match="HTTP 503"):
        read_idp_metadata(_url_settings(federation), transport=_served(b"", 503))

    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(MetadataError, match="cannot be reached"):
        read_idp_metadata(_url_settings(federation), transport=httpx.MockTransport(fail))


def test_a_failed_refresh_keeps_the_last_good_metadata(federation: Federation) -> None:
    answers = [federation.idp.metadata()]

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=answers[0]) if answers else httpx.Response(500)

    settings = federation.settings(idp_metadata=URL, metadata_refresh_minutes=1)
    provider = ServiceProvider(settings, transport=httpx.MockTransport(serve))
    first, _ = provider.current()
    answers.clear()
    provider._loaded -= 120  # the refresh is due
    again, _ = provider.current()
    assert again is first


def test_a_missing_metadata_file_is_a_configuration_error(federation: Federation, tmp_path: Path) -> None:
    with pytest.raises(
        LoginConfigError, match=r"login\.saml\.idp_metadata: .* is neither an http\(s\) URL nor a file"
    ):
        federation.settings(idp_metadata=str(tmp_path / "missing.xml"))
