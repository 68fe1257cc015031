"""Signature-wrapping and related attacks: each is refused, or only signed data comes out."""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from emrex.errors import XmlError
from emrex.trust.ca import Issued
from emrex.trust.errors import (
    DigestMismatch,
    DisallowedAlgorithm,
    MalformedSignature,
    NoSignature,
    SignatureError,
)
from emrex.trust.verifier import verify

DS = "{http://www.w3.org/2000/09/xmldsig#}"
E = "{https://github.com/emrex-eu/elmo-schemas/tree/v1}"


def _tree(document: bytes) -> etree._Element:
    return etree.fromstring(document)


def _signature(root: etree._Element) -> etree._Element:
    sig = root.find(DS + "Signature")
    assert sig is not None
    return sig


def _forge_learner(root: etree._Element, name: str = "Mallory") -> None:
    given = root.find(f"{E}learner/{E}givenNames")
    assert given is not None
    given.text = name


def test_a_second_signature_on_the_root_is_refused(signed: bytes, emp: Issued) -> None:
    root = _tree(signed)
    root.append(copy.deepcopy(_signature(root)))
    with pytest.raises(MalformedSignature, match="2 Signature children"):
        verify(etree.tostring(root), emp.certificate)


@pytest.mark.parametrize("into", ["extension", "report"])
def test_a_signature_moved_down_the_tree_is_not_a_signature(signed: bytes, emp: Issued, into: str) -> None:
    root = _tree(signed)
    sig = _signature(root)
    holder = root.find(E + into)
    if holder is None:
        holder = etree.SubElement(root, E + into)
    holder.append(sig)
    with pytest.raises(NoSignature, match=f"there is one inside <{into}>"):
        verify(etree.tostring(root), emp.certificate)


def test_signed_document_nested_inside_a_forged_one(signed: bytes, emp: Issued) -> None:
    original = _tree(signed)
    forged = copy.deepcopy(original)
    forged.remove(_signature(forged))
    _forge_learner(forged)
    etree.SubElement(forged, E + "extension").append(original)
    with pytest.raises(NoSignature):
        verify(etree.tostring(forged), emp.certificate)
    # With the genuine signature copied up to the forged root, the digest covers the forgery.
    forged.append(copy.deepcopy(_signature(original)))
    with pytest.raises(DigestMismatch):
        verify(etree.tostring(forged), emp.certificate)


def test_extra_or_redirected_references_are_refused(signed: bytes, emp: Issued) -> None:
    root = _tree(signed)
    info = _signature(root).find(DS + "SignedInfo")
    assert info is not None
    reference = info.find(DS + "Reference")
    assert reference is not None
    info.append(copy.deepcopy(reference))
    with pytest.raises(MalformedSignature, match="exactly one <Reference>"):
        verify(etree.tostring(root), emp.certificate)

    root = _tree(signed)
    reference = _signature(root).find(f"{DS}SignedInfo/{DS}Reference")
    assert reference is not None
    reference.set("URI", "#learner")
    with pytest.raises(MalformedSignature, match='URI=""'):
        verify(etree.tostring(root), emp.certificate)


def test_object_elements_in_the_signature_are_refused(signed: bytes, emp: Issued) -> None:
    root = _tree(signed)
    obj = etree.SubElement(_signature(root), DS + "Object")
    learner = root.find(E + "learner")
    assert learner is not None
    forged = copy.deepcopy(learner)
    _forge_learner(root)  # the original is what was signed; the Object carries the genuine copy
    obj.append(forged)
    with pytest.raises(MalformedSignature, match="Object"):
        verify(etree.tostring(root), emp.certificate)


def test_a_second_keyinfo_is_refused(signed: bytes, emp: Issued) -> None:
    root = _tree(signed)
    sig = _signature(root)
    key_info = sig.find(DS + "KeyInfo")
    assert key_info is not None
    sig.append(copy.deepcopy(key_info))
    with pytest.raises(MalformedSignature, match="unexpected <KeyInfo>"):
        verify(etree.tostring(root), emp.certificate)


def test_unsigned_content_smuggled_inside_the_signature_never_comes_out(signed: bytes, emp: Issued) -> None:
    root = _tree(signed)
    key_info = _signature(root).find(DS + "KeyInfo")
    assert key_info is not None
    smuggled = etree.SubElement(key_info, E + "learner")
    etree.SubElement(smuggled, E + "givenNames").text = "Mallory"
    result = verify(etree.tostring(root), emp.certificate)
    assert b"Mallory" not in result.signed_xml
    assert len(result.signed_tree.getroot().findall(f".//{E}learner")) == 1


def test_comment_injected_into_a_signed_name_does_not_truncate_it(signed: bytes, emp: Issued) -> None:
    injected = signed.replace(b"<givenNames>\xc3\x85sa", b"<givenNames>\xc3\x85<!-- x -->sa", 1)
    assert injected != signed
    result = verify(injected, emp.certificate)  # comments are not signed with URI=""
    assert b"<!--" not in result.signed_xml
    assert result.signed_tree.getroot().findtext(f"{E}learner/{E}givenNames") == "Åsa Žofie"
    # lxml on the input itself would have stopped at the comment:
    assert etree.fromstring(injected).findtext(f"{E}learner/{E}givenNames") == "Å"


@pytest.mark.parametrize(
    ("transform", "error"),
    [
        ("http://www.w3.org/TR/1999/REC-xpath-19991116", DisallowedAlgorithm),
        ("http://www.w3.org/TR/1999/REC-xslt-19991116", DisallowedAlgorithm),
        ("http://www.w3.org/2000/09/xmldsig#base64", DisallowedAlgorithm),
        ("http://www.w3.org/2000/09/xmldsig#enveloped-signature", MalformedSignature),
    ],
)
def test_transforms_beyond_enveloped_and_c14n_are_refused(
    signed: bytes, emp: Issued, transform: str, error: type[SignatureError]
) -> None:
    root = _tree(signed)
    transforms = _signature(root).find(f"{DS}SignedInfo/{DS}Reference/{DS}Transforms")
    assert transforms is not None
    etree.SubElement(transforms, DS + "Transform", Algorithm=transform)
    with pytest.raises(error):
        verify(etree.tostring(root), emp.certificate)


def test_a_reference_without_the_enveloped_transform_is_refused(signed: bytes, emp: Issued) -> None:
    root = _tree(signed)
    transform = _signature(root).find(f"{DS}SignedInfo/{DS}Reference/{DS}Transforms/{DS}Transform")
    assert transform is not None
    transform.set("Algorithm", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
    with pytest.raises(MalformedSignature, match="first transform must be enveloped"):
        verify(etree.tostring(root), emp.certificate)


def test_hmac_and_unknown_signature_methods_are_refused(signed: bytes, emp: Issued) -> None:
    root = _tree(signed)
    method = _signature(root).find(f"{DS}SignedInfo/{DS}SignatureMethod")
    assert method is not None
    method.set("Algorithm", "http://www.w3.org/2000/09/xmldsig#hmac-sha1")
    with pytest.raises(DisallowedAlgorithm, match="hmac-sha1 is not supported"):
        verify(etree.tostring(root), emp.certificate)
    etree.SubElement(method, DS + "HMACOutputLength").text = "0"
    with pytest.raises(MalformedSignature, match="must be empty"):
        verify(etree.tostring(root), emp.certificate)


def test_a_signature_in_a_foreign_namespace_is_no_signature(signed: bytes, emp: Issued) -> None:
    fake = signed.replace(
        b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">', b'<Signature xmlns="urn:not-dsig">'
    )
    with pytest.raises(NoSignature):
        verify(fake, emp.certificate)


def test_entities_cannot_hide_changes(signed: bytes, emp: Issued) -> None:
    body = signed.split(b"?>", 1)[1]
    with_dtd = b'<!DOCTYPE elmo [<!ENTITY n "Mallory">]>' + body.replace(b"\xc3\x85sa", b"&n;", 1)
    with pytest.raises(XmlError, match="DOCTYPE"):
        verify(with_dtd, emp.certificate)
