"""Other implementations used as oracles: python-xmlsec (libxmlsec1) and the xmlsec1 command."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree

from emrex.trust import algorithms
from emrex.trust.ca import Issued

xmlsec = pytest.importorskip("xmlsec", reason="python-xmlsec (test extra) is needed as an oracle")

_TRANSFORMS = {
    algorithms.C14N: xmlsec.constants.TransformInclC14N,
    algorithms.C14N_COMMENTS: xmlsec.constants.TransformInclC14NWithComments,
    algorithms.EXC_C14N: xmlsec.constants.TransformExclC14N,
    algorithms.EXC_C14N_COMMENTS: xmlsec.constants.TransformExclC14NWithComments,
    algorithms.RSA_SHA1: xmlsec.constants.TransformRsaSha1,
    algorithms.RSA_SHA256: xmlsec.constants.TransformRsaSha256,
    algorithms.RSA_SHA512: xmlsec.constants.TransformRsaSha512,
    algorithms.SHA1: xmlsec.constants.TransformSha1,
    algorithms.SHA256: xmlsec.constants.TransformSha256,
    algorithms.SHA512: xmlsec.constants.TransformSha512,
}


def _pem_key(issued: Issued) -> bytes:
    return issued.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_cert(issued: Issued) -> bytes:
    return issued.certificate.public_bytes(serialization.Encoding.PEM)


def xmlsec_sign(
    xml: bytes,
    issued: Issued,
    *,
    c14n: str = algorithms.C14N,
    signature: str = algorithms.RSA_SHA256,
    digest: str = algorithms.SHA256,
    reference_c14n: str | None = None,
    prefix: str | None = None,
    first: bool = False,
    tail: str | None = None,
) -> bytes:
    """An enveloped signature made by libxmlsec1 (default namespace, as Java and xmlsec1 write it).

    The signature goes last, or ``first`` among the root's children, followed by ``tail`` text.
    """
    root = etree.fromstring(xml)
    template = xmlsec.template.create(root, _TRANSFORMS[c14n], _TRANSFORMS[signature], ns=prefix)
    if first:
        root.insert(0, template)
    else:
        root.append(template)
    template.tail = tail
    reference = xmlsec.template.add_reference(template, _TRANSFORMS[digest], uri="")
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    if reference_c14n:
        xmlsec.template.add_transform(reference, _TRANSFORMS[reference_c14n])
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(template))
    key = xmlsec.Key.from_memory(_pem_key(issued), xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_memory(_pem_cert(issued), xmlsec.constants.KeyDataFormatPem)
    context = xmlsec.SignatureContext()
    context.key = key
    context.sign(template)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def xmlsec_verifies(document: bytes, issued: Issued) -> bool:
    """python-xmlsec's verdict with ``issued``'s certificate as the only key."""
    root = etree.fromstring(document)
    node = xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature)
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(_pem_cert(issued), xmlsec.constants.KeyDataFormatCertPem)
    try:
        context.verify(node)
    except xmlsec.Error:
        return False
    return True


def xmlsec1_verifies(document: bytes, cert_pem: Path, tmp_path: Path) -> bool:
    """The xmlsec1 command's verdict with the certificate given as the key (skips when absent)."""
    tool = shutil.which("xmlsec1")
    if tool is None:
        pytest.skip("the xmlsec1 command is not installed (apt-get install xmlsec1); oracle check skipped")
    path = tmp_path / "document.xml"
    path.write_bytes(document)
    result = subprocess.run(
        [tool, "--verify", "--pubkey-cert-pem", str(cert_pem), str(path)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    return result.returncode == 0


def xmlsec_sign_template(document: bytes, issued: Issued) -> bytes:
    """Let libxmlsec1 fill in a hand-written ``Signature`` template already inside ``document``."""
    root = etree.fromstring(document)
    context = xmlsec.SignatureContext()
    context.key = xmlsec.Key.from_memory(_pem_key(issued), xmlsec.constants.KeyDataFormatPem)
    context.sign(xmlsec.tree.find_node(root, xmlsec.constants.NodeSignature))
    return etree.tostring(root)
