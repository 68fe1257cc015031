"""The return endpoint: every return code, and hostile answers refused with nothing stored."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import gzip
from collections.abc import Callable
from unittest.mock import patch

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from emrex.elmo import model as m
from emrex.elmo.codec import decode, encode
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.emc.models import Status, Transfer
from emrex.trust import algorithms, verify
from tests.emc.conftest import NORDVIK, Keys, answer, database_of, fresh, login, ok, signed, start


def transfer_of(client: TestClient, session_id: str) -> Transfer:
    with database_of(client).session() as s:
        transfer = s.scalars(select(Transfer).where(Transfer.session_id == session_id)).one()
        s.expunge(transfer)
        return transfer


def count(client: TestClient) -> int:
    with database_of(client).session() as s:
        return int(s.scalar(select(func.count()).select_from(Transfer)) or 0)


def assert_refused_and_nothing_kept(
    client: TestClient, session_id: str, response: object, words: str
) -> None:
    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    assert "The results were not accepted" in response.text  # type: ignore[attr-defined]
    assert words in response.text  # type: ignore[attr-defined]
    transfer = transfer_of(client, session_id)
    assert transfer.status == Status.FAILED
    assert words in (transfer.failure or "")
    assert transfer.elmo_xml is None and transfer.pdf is None and transfer.signer is None


def test_a_good_answer_is_stored_byte_exact_and_shown_to_the_student(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    assert len(session_id) == 32
    document = signed(keys.nordvik)
    response = answer(emc, session_id, elmo=encode(document))
    assert response.status_code == 303
    transfer = transfer_of(emc, session_id)
    assert response.headers["location"] == f"/transfers/{transfer.id}"
    assert transfer.status == Status.RECEIVED
    assert transfer.elmo_xml == document
    assert transfer.pdf is not None and transfer.pdf.startswith(b"%PDF-")
    assert transfer.identity_verdict == "match"
    page = emc.get(response.headers["location"])
    for text in (
        "Signature: valid",
        "CN=Nordvik EMP",
        "Italian Language B1",
        "15 ECTS",
        "The results belong to you",
    ):
        assert text in page.text


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("NCP_CANCEL", Status.CANCELLED),
        ("EMP_CANCEL", Status.CANCELLED),
        ("NCP_NO_RESULTS", Status.NO_RESULTS),
        ("EMP_NO_RESULTS", Status.NO_RESULTS),
        ("NCP_ERROR", Status.EMP_ERROR),
        ("EMP_ERROR", Status.EMP_ERROR),
    ],
)
def test_every_return_code_ends_the_transfer(emc: TestClient, keys: Keys, code: str, status: Status) -> None:
    login(emc)
    session_id = start(emc)
    # A document sent along with a non-OK code is not kept.
    response = answer(emc, session_id, code, elmo=encode(signed(keys.nordvik)), message="SIS down")
    assert response.status_code == 303
    transfer = transfer_of(emc, session_id)
    assert (transfer.status, transfer.return_code, transfer.elmo_xml) == (status, code, None)
    page = emc.get(response.headers["location"])
    assert page.status_code == 200


def test_an_emp_error_message_is_shown_escaped(emc: TestClient) -> None:
    login(emc)
    session_id = start(emc)
    response = answer(emc, session_id, "NCP_ERROR", message="<script>alert(1)</script>\x00 broken\nline")
    page = emc.get(response.headers["location"])
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; broken line" in page.text


def test_an_unknown_return_code_is_refused(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    response = answer(emc, session_id, "NCP_MAYBE", elmo=encode(signed(keys.nordvik)))
    assert_refused_and_nothing_kept(emc, session_id, response, "unknown return code")


def test_an_unknown_session_id_changes_nothing(emc: TestClient, keys: Keys) -> None:
    login(emc)
    start(emc)
    before = count(emc)
    response = answer(emc, "0" * 32, elmo=encode(signed(keys.nordvik)))
    assert response.status_code == 400
    assert "does not belong to any transfer" in response.text
    assert count(emc) == before
    assert answer(emc, "", elmo="").status_code == 400


def test_a_session_id_is_used_once(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    ok(emc, keys, session_id)
    again = answer(emc, session_id, "NCP_CANCEL")
    assert again.status_code == 409
    assert "answered already" in again.text
    assert transfer_of(emc, session_id).status == Status.RECEIVED


def test_an_expired_transfer_is_refused(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    with patch("emrex.emc.student.utcnow", return_value=later):
        response = answer(emc, session_id, elmo=encode(signed(keys.nordvik)))
    assert response.status_code == 410
    assert "expired" in response.text
    transfer = transfer_of(emc, session_id)
    assert (transfer.status, transfer.elmo_xml) == (Status.STARTED, None)


def test_another_students_session_id_is_refused(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    asa, bo = make_emc(), make_emc()
    login(asa, "asa")
    login(bo, "bo")
    session_id = start(asa)
    response = answer(bo, session_id, elmo=encode(signed(keys.nordvik)))
    assert response.status_code == 403
    assert transfer_of(asa, session_id).status == Status.STARTED
    # The real answer still works, and only its owner sees the transfer.
    transfer_id = ok(asa, keys, session_id)
    assert bo.get(f"/transfers/{transfer_id}").status_code == 404
    assert bo.get(f"/transfers/{transfer_id}/transcript.pdf").status_code == 404
    assert bo.get(f"/transfers/{transfer_id}/elmo.xml").status_code == 404
    assert asa.get(f"/transfers/{transfer_id}").status_code == 200


def test_a_tampered_document_is_refused(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    document = signed(keys.nordvik)
    assert b"<resultLabel>30</resultLabel>" in document
    tampered = document.replace(b"<resultLabel>30</resultLabel>", b"<resultLabel>27</resultLabel>", 1)
    response = answer(emc, session_id, elmo=encode(tampered))
    assert_refused_and_nothing_kept(emc, session_id, response, "changed after it was signed")


def test_a_document_signed_by_another_emp_is_refused(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)  # Nordvik was chosen; Collina is in the registry too
    response = answer(emc, session_id, elmo=encode(signed(keys.collina)))
    assert_refused_and_nothing_kept(emc, session_id, response, "signature was not accepted")


def test_a_document_signed_by_a_stranger_is_refused(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    response = answer(emc, session_id, elmo=encode(signed(keys.stranger)))
    assert_refused_and_nothing_kept(emc, session_id, response, "signature was not accepted")


def test_an_unsigned_document_is_refused(emc: TestClient) -> None:
    login(emc)
    session_id = start(emc)
    response = answer(emc, session_id, elmo=encode(write_elmo(fresh(courses=3))))
    assert_refused_and_nothing_kept(emc, session_id, response, "signature was not accepted")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("H4sI!!!not base64###", "could not be unpacked"),
        (base64.b64encode(b"\x1f\x8b\x08\x00garbage that is not deflate").decode(), "could not be unpacked"),
        ("", "sent no results"),
    ],
)
def test_broken_transport_encoding_is_refused(emc: TestClient, value: str, words: str) -> None:
    login(emc)
    session_id = start(emc)
    assert_refused_and_nothing_kept(emc, session_id, answer(emc, session_id, elmo=value), words)


def test_a_gzip_bomb_is_refused(emc: TestClient) -> None:
    login(emc)
    session_id = start(emc)
    # 8 MB of blanks in about 8 KB: far beyond the allowed expansion ratio of 200.
    bomb = base64.b64encode(gzip.compress(b"<" + b" " * (8 * 1024 * 1024), compresslevel=9)).decode()
    assert len(bomb) < 20_000
    response = answer(emc, session_id, elmo=bomb)
    assert_refused_and_nothing_kept(emc, session_id, response, "too large")


def test_an_oversized_post_is_refused_before_it_is_read(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., object]
) -> None:
    emc = make_emc(make_settings(limits={"max_post_mb": 1}))
    login(emc)
    session_id = start(emc)
    response = answer(emc, session_id, elmo="A" * (2 * 1024 * 1024))
    assert response.status_code == 413
    transfer = transfer_of(emc, session_id)
    assert (transfer.status, transfer.elmo_xml) == (Status.STARTED, None)


def test_xml_with_a_dtd_is_refused(emc: TestClient) -> None:
    login(emc)
    session_id = start(emc)
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE elmo [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<elmo xmlns="https://github.com/emrex-eu/elmo-schemas/tree/v1"><learner>&x;</learner></elmo>'
    )
    response = answer(emc, session_id, elmo=encode(evil))
    assert_refused_and_nothing_kept(emc, session_id, response, "not a readable document")
    assert "root:" not in response.text


def test_results_of_someone_else_are_refused(make_emc: Callable[..., TestClient], keys: Keys) -> None:
    bo = make_emc()
    login(bo, "bo")
    session_id = start(bo)
    response = answer(bo, session_id, elmo=encode(signed(keys.nordvik)))  # Åsa's document
    assert_refused_and_nothing_kept(bo, session_id, response, "belong to someone else")
    assert transfer_of(bo, session_id).identity_verdict is None


def test_markup_in_names_and_titles_is_escaped(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    elmo = sample_elmo(3)
    report = elmo.reports[0]
    evil_issuer = dataclasses.replace(
        report.issuer, titles=(m.LangText('<img src=x onerror="alert(1)">', "en"),)
    )
    course = report.learning_opportunity_specifications[0]
    evil_course = dataclasses.replace(course, titles=(m.LangText("<script>alert('t')</script>", "en"),))
    elmo = dataclasses.replace(
        elmo,
        reports=(
            dataclasses.replace(
                report, issuer=evil_issuer, learning_opportunity_specifications=(evil_course,)
            ),
        ),
    )
    transfer_id = ok(emc, keys, session_id, elmo)
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page


def test_sha1_signatures_are_accepted_with_a_warning_by_default(emc: TestClient, keys: Keys) -> None:
    oracles = pytest.importorskip("tests.trust.oracles")
    document = oracles.xmlsec_sign(
        write_elmo(fresh(courses=3)), keys.nordvik, signature=algorithms.RSA_SHA1, digest=algorithms.SHA1
    )
    login(emc)
    transfer_id = ok_raw(emc, start(emc), document)
    page = emc.get(f"/transfers/{transfer_id}").text
    assert "Warning:" in page and "SHA-1" in page


def test_sha1_signatures_are_refused_when_configured(
    make_emc: Callable[..., TestClient], make_settings: Callable[..., object], keys: Keys
) -> None:
    oracles = pytest.importorskip("tests.trust.oracles")
    document = oracles.xmlsec_sign(
        write_elmo(fresh(courses=3)), keys.nordvik, signature=algorithms.RSA_SHA1, digest=algorithms.SHA1
    )
    emc = make_emc(make_settings(verification={"sha1": "reject"}))
    login(emc)
    session_id = start(emc)
    response = answer(emc, session_id, elmo=encode(document))
    assert_refused_and_nothing_kept(emc, session_id, response, "signature was not accepted")


def ok_raw(client: TestClient, session_id: str, document: bytes) -> int:
    response = answer(client, session_id, elmo=encode(document))
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_the_stored_document_verifies_again_later(emc: TestClient, keys: Keys) -> None:
    login(emc)
    session_id = start(emc)
    document = signed(keys.nordvik)
    response = answer(emc, session_id, elmo=encode(document))
    download = emc.get(response.headers["location"] + "/elmo.xml")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/xml"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.content == document
    assert verify(download.content, keys.nordvik.certificate).signed_xml
    assert decode(encode(download.content)) == document


def test_logs_name_no_person_and_no_session_id(
    emc: TestClient, keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    login(emc)
    with caplog.at_level("DEBUG"), caplog.at_level("DEBUG", logger="emrex"):
        session_id = start(emc)
        transfer_id = ok(emc, keys, session_id)
        answer(emc, session_id, "NCP_OK\nforged log line")
        emc.get(f"/transfers/{transfer_id}")
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("emrex")]
    text = "\n".join(ours)
    assert f"transfer {transfer_id} answered NCP_OK: received" in text
    for secret in (session_id, "Åsa", "Lindqvist", "1999-03-14", "482913"):
        assert secret not in text, [line for line in ours if secret in line]
    assert "\nforged log line" not in text


@pytest.mark.parametrize("multipart", [False, True])
def test_a_document_of_several_megabytes_is_accepted(emc: TestClient, keys: Keys, multipart: bool) -> None:
    import os

    elmo = sample_elmo(3)
    pdf = b"%PDF-1.4\n" + os.urandom(3 * 1024 * 1024)  # incompressible: about 4 MB posted
    transcript = dataclasses.replace(
        elmo.attachments[0], contents=(m.LangText(m.encode_data_uri("application/pdf", pdf), "en"),)
    )
    elmo = dataclasses.replace(elmo, attachments=(transcript,))
    login(emc)
    session_id = start(emc)
    value = encode(signed(keys.nordvik, elmo))
    assert len(value) > 4_000_000
    fields = {"sessionId": session_id, "returnCode": "NCP_OK", "returnMessage": ""}
    if multipart:
        response = emc.post(
            "/emrex/return", data=fields, files={"elmo": (None, value)}, follow_redirects=False
        )
    else:
        response = answer(emc, session_id, elmo=value)
    assert response.status_code == 303, response.text[:500]
    assert transfer_of(emc, session_id).pdf == pdf


def _with_pdf(pdf: bytes) -> m.Elmo:
    elmo = sample_elmo(3)
    transcript = dataclasses.replace(
        elmo.attachments[0], contents=(m.LangText(m.encode_data_uri("application/pdf", pdf), "en"),)
    )
    return dataclasses.replace(elmo, attachments=(transcript,))


def test_a_pdf_whose_base64_is_over_ten_million_characters_is_accepted(emc: TestClient, keys: Keys) -> None:
    # libxml2 alone refused any text node over 10 000 000 characters (a PDF of about 7.5 MB) with
    # "try XML_PARSE_HUGE", far below the documented limits; now the document's size decides.
    import os

    pdf = b"%PDF-1.4\n" + os.urandom(9 * 1024 * 1024)
    login(emc)
    session_id = start(emc)
    document = signed(keys.nordvik, _with_pdf(pdf))
    assert 12_000_000 < len(document) < emc.app.state.emc_service.settings.codec_limits.max_decoded_bytes  # type: ignore[attr-defined]
    response = answer(emc, session_id, elmo=encode(document))
    assert response.status_code == 303, response.text[:500]
    assert transfer_of(emc, session_id).pdf == pdf
    assert emc.get(response.headers["location"] + "/transcript.pdf").content == pdf


def test_a_document_over_the_decoded_limit_is_refused_in_our_words(emc: TestClient, keys: Keys) -> None:
    import os

    login(emc)
    session_id = start(emc)
    # Refused before it is parsed, so whether it is signed does not matter (our signer refuses it too).
    document = write_elmo(_with_pdf(b"%PDF-1.4\n" + os.urandom(12 * 1024 * 1024)))
    assert len(document) > 16 * 1024 * 1024
    response = answer(emc, session_id, elmo=encode(document))
    assert_refused_and_nothing_kept(emc, session_id, response, "exceeds the limit of 16777216 bytes")
    assert "XML_PARSE_HUGE" not in response.text


def test_certificates_are_pinned_when_the_transfer_starts(
    make_emc: Callable[..., TestClient], keys: Keys
) -> None:
    from emrex.emc.registries import Registries
    from emrex.registry import Country, Emp, Registry

    def registry(key: object) -> Registry:
        emp = Emp("NORDVIK", "SE", NORDVIK, ("Nordvik University",), (key.certificate,))  # type: ignore[attr-defined]
        return Registry(countries=(Country("SE", "Sweden"),), emps=(emp,))

    current = [registry(keys.nordvik)]
    emc = make_emc(registries=Registries([lambda: current[0]]))
    login(emc)
    before = start(emc)
    current[0] = registry(keys.stranger)  # the registry changes while the student is away
    # The answer to the earlier transfer is checked against the certificate it started with ...
    assert answer(emc, before, elmo=encode(signed(keys.nordvik))).status_code == 303
    # ... and a transfer started now against the new one.
    after = start(emc)
    assert answer(emc, after, elmo=encode(signed(keys.nordvik))).status_code == 400
    assert transfer_of(emc, after).status == Status.FAILED
    again = start(emc)
    assert answer(emc, again, elmo=encode(signed(keys.stranger))).status_code == 303


def test_plain_xml_with_any_letters_is_tolerated(emc: TestClient, keys: Keys) -> None:
    elmo = sample_elmo(3)
    course = elmo.reports[0].learning_opportunity_specifications[0]
    greek = dataclasses.replace(course, titles=(m.LangText("Αρχαία φιλοσοφία — 古代哲学", "el"),))
    elmo = dataclasses.replace(
        elmo, reports=(dataclasses.replace(elmo.reports[0], learning_opportunity_specifications=(greek,)),)
    )
    login(emc)
    session_id = start(emc)
    document = signed(keys.nordvik, elmo)
    response = answer(emc, session_id, elmo=document.decode("utf-8"))  # not base64(gzip()): plain XML
    assert response.status_code == 303, response.text[:300]
    assert transfer_of(emc, session_id).elmo_xml == document
    assert "Αρχαία φιλοσοφία — 古代哲学" in emc.get(response.headers["location"]).text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("sv", "signaturen godtogs inte: "),
        ("fi", "allekirjoitusta ei hyväksytty: "),
        ("da", "signaturen blev ikke"),
    ],
)
def test_a_refusal_is_worded_in_the_page_language(
    emc: TestClient, keys: Keys, language: str, words: str
) -> None:
    login(emc)
    emc.get(f"/?lang={language}")
    session_id = start(emc)
    response = answer(emc, session_id, elmo=encode(signed(keys.stranger)))
    assert response.status_code == 400
    assert words in response.text and "signature was not accepted" not in response.text
    assert "signature was not accepted" in (
        transfer_of(emc, session_id).failure or ""
    )  # the record stays English
