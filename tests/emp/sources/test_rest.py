from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import urllib.parse

import pytest

from emrex.elmo import codec
from emrex.elmo import model as m
from emrex.elmo.sample import sample_elmo
from emrex.elmo.writer import write_elmo
from emrex.emp.sources import PersonNotFound, PersonQuery, SourceConfigError, SourceUnavailable
from emrex.emp.sources.rest import RestSource, RestSourceConfig
from tests.emp.sources.httpserver import Answer, Request, Script, serve

ELMO = sample_elmo(12)
XML = write_elmo(ELMO)
NATIONAL = "19990314-2389"  # the sample learner's
ESI = ELMO.learner.identifier("esi") or ""
STUDENT = PersonQuery({"nationalIdentifier": NATIONAL, "esi": ESI}, "Åsa", "Lindqvist")


def elmo_for(request: Request) -> Answer:
    return Answer(body=XML) if NATIONAL in urllib.parse.unquote(request.path) else Answer(404, b"unknown")


def source(url: str, **options: object) -> RestSource:
    return RestSource(RestSourceConfig(url=url, **options))  # type: ignore[arg-type]


def test_get_returns_the_learner_and_reports_of_the_answer() -> None:
    script = Script(elmo_for)
    with serve(script) as base:
        results = source(base + "/elmo?id={nationalIdentifier}", token="s3cret", timeout=5).fetch(STUDENT)
    assert results.learner == ELMO.learner
    assert [r.issuer.identifier("schac") for r in results.reports] == [
        "nordvik.example",
        "unicollina.example",
    ]
    assert results.reports == list(ELMO.reports)  # every LOS already has a unique local id
    (request,) = script.requests
    assert request.method == "GET"
    assert request.path == "/elmo?id=19990314-2389"
    assert request.headers["authorization"] == "Bearer s3cret"


def test_identifiers_are_url_encoded() -> None:
    script = Script(lambda r: Answer(404))
    odd = PersonQuery({"eppn": "a/b?c=d&e f@uni.example"})
    with serve(script) as base, pytest.raises(PersonNotFound):
        source(base + "/people/{id}/elmo").fetch(odd)
    assert script.requests[0].path == "/people/a%2Fb%3Fc%3Dd%26e%20f%40uni.example/elmo"


def test_generic_placeholder_tries_the_configured_types_in_order() -> None:
    script = Script(lambda r: Answer(body=XML) if "esi" in r.path else Answer(404))
    with serve(script) as base:
        results = source(base + "/elmo?{idType}={id}", identifier_types=("nationalIdentifier", "esi")).fetch(
            STUDENT
        )
    assert results.learner.family_name == ELMO.learner.family_name
    assert [r.path for r in script.requests] == [
        "/elmo?nationalIdentifier=19990314-2389",
        "/elmo?esi=" + urllib.parse.quote(ESI, safe=""),
    ]


def test_post_sends_the_identifiers_as_json_and_accepts_the_transport_form() -> None:
    script = Script(lambda r: Answer(body=codec.encode(XML).encode(), content_type="text/plain"))
    with serve(script) as base:
        results = source(base + "/elmo", method="POST", identifier_types=("esi", "nationalIdentifier")).fetch(
            STUDENT
        )
    assert len(results.reports) == 2
    body = json.loads(script.requests[0].body)
    assert body == {
        "identifiers": {"esi": ESI, "nationalIdentifier": NATIONAL},
        "identifierType": "esi",
        "identifier": ESI,
    }
    assert "Åsa" not in script.requests[0].body.decode()  # names are not sent


def test_404_is_person_not_found_and_the_message_carries_no_identifier() -> None:
    with serve(Script(lambda r: Answer(404))) as base, pytest.raises(PersonNotFound) as caught:
        source(base + "/elmo?id={nationalIdentifier}").fetch(STUDENT)
    assert NATIONAL not in str(caught.value)


def test_a_login_without_the_needed_identifier_is_not_found() -> None:
    with pytest.raises(PersonNotFound, match="nationalIdentifier"):
        source("https://sis.example/elmo?id={nationalIdentifier}").fetch(PersonQuery({"esi": "x"}))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(500, b"boom"), "answered HTTP 500"),
        (Answer(302, b""), "answered HTTP 302"),
        (Answer(200, b"<html><body>Maintenance</body></html>"), "did not answer with ELMO"),
        (Answer(200, b"\x00\x01 not anything"), "did not answer with ELMO"),
        (Answer(200, b""), "did not answer with ELMO"),
        (Answer(200, b"<!DOCTYPE x [<!ENTITY a 'b'>]><elmo/>"), "did not answer with ELMO"),
        (Answer(200, b"x" * 3000), "more than 2048 bytes"),
    ],
)
def test_failures_are_unavailable_with_a_clear_message(answer: Answer, message: str) -> None:
    with serve(Script(lambda r: answer)) as base, pytest.raises(SourceUnavailable, match=message) as caught:
        source(base + "/elmo?id={id}", max_bytes=2048).fetch(STUDENT)
    assert NATIONAL not in str(caught.value) and "127.0.0.1" in str(caught.value)


def test_a_slow_sis_times_out() -> None:
    slow = Script(lambda r: Answer(body=XML, delay=1.5))
    with serve(slow) as base, pytest.raises(SourceUnavailable, match=r"did not answer within 0\.3 s"):
        source(base + "/elmo?id={id}", timeout=0.3).fetch(STUDENT)


def test_an_unreachable_sis_is_unavailable() -> None:
    with serve(Script(lambda r: Answer())) as base:
        pass  # the server is gone: nobody listens on that port any more
    with pytest.raises(SourceUnavailable, match="cannot be reached"):
        source(base + "/elmo?id={id}", timeout=2).fetch(STUDENT)


def test_an_answer_about_another_person_is_refused() -> None:
    with serve(Script(lambda r: Answer(body=XML))) as base:
        other = PersonQuery({"nationalIdentifier": "19700101-0000"})
        with pytest.raises(SourceUnavailable, match="another person"):
            source(base + "/elmo?id={nationalIdentifier}").fetch(other)


def test_missing_or_repeated_local_ids_are_made_unique() -> None:
    home, abroad = ELMO.reports
    bare = [dataclasses.replace(los, identifiers=()) for los in abroad.learning_opportunity_specifications]
    bare[1] = dataclasses.replace(bare[1], identifiers=(m.Identifier("local", "dup"),))
    bare[2] = dataclasses.replace(bare[2], identifiers=(m.Identifier("local", "dup"),))
    elmo = dataclasses.replace(
        ELMO, reports=(home, dataclasses.replace(abroad, learning_opportunity_specifications=tuple(bare)))
    )
    with serve(Script(lambda r: Answer(body=write_elmo(elmo)))) as base:
        results = source(base + "/elmo?id={id}").fetch(STUDENT)
    ids = [los.identifier("local") for _, los in results.reports[1].iter_los()]
    assert ids[1] == "dup" and None not in ids and len(set(ids)) == len(ids)
    assert ids[0] == "auto-1"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "ftp://sis.example/{id}"}, "url: must be an http"),
        ({"url": "https://sis.example/{id"}, "url: not a valid template"),
        ({"url": "https://sis.example/{0}"}, "placeholder"),
        ({"url": "https://sis.example/{id}", "method": "PUT"}, "method"),
        ({"url": "https://sis.example/{id}", "timeout": 0}, "timeout"),
    ],
)
def test_bad_configuration_is_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(SourceConfigError, match=message):
        RestSourceConfig(**options)  # type: ignore[arg-type]


def test_a_compression_bomb_in_the_transport_form_is_refused() -> None:
    bomb = base64.b64encode(gzip.compress(b"<elmo>" + b" " * 20_000_000 + b"</elmo>"))
    script = Script(lambda r: Answer(body=bomb, content_type="text/plain"))
    with serve(script) as base, pytest.raises(SourceUnavailable, match="did not answer with ELMO"):
        source(base + "/elmo?id={id}").fetch(STUDENT)


def test_a_named_placeholder_decides_which_identifier_is_sent_and_checked() -> None:
    script = Script(elmo_for)
    login = PersonQuery({"esi": "urn:esi:unrelated", "nationalIdentifier": NATIONAL})
    with serve(script) as base:
        config = {"identifier_types": ("esi", "nationalIdentifier")}
        results = source(base + "/elmo?id={nationalIdentifier}", **config).fetch(login)
    assert results.learner.identifier("nationalIdentifier") == NATIONAL
    assert [r.path for r in script.requests] == ["/elmo?id=19990314-2389"]
