"""The evidence provider's state machine, called directly (no network): what each request gets and
what each preview page may do."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from emrex.elmo.sample import sample_elmo
from emrex.oots import (
    EvidenceProvider,
    Exchange,
    ExchangeConflict,
    MemoryExchangeStore,
    PreviewError,
    ProviderConfig,
    State,
    build_request,
    check_message,
    read_error,
)
from emrex.oots.model import ErrorResponse
from emrex.oots.request import new_request_id
from tests.oots.support import (
    CONFIG,
    PREVIEW_BASE,
    PROVIDER,
    TRANSCRIPT,
    Clock,
    Evidence,
    make_provider,
    make_request,
)

LEARNER = sample_elmo(1).learner


def _error(body: bytes) -> ErrorResponse:
    assert check_message(body).valid, check_message(body).violations
    return read_error(body)


def _started(provider: EvidenceProvider) -> tuple[str, str]:
    answer = provider.answer(build_request(make_request()))
    assert answer.preview_location is not None and answer.token is not None
    return answer.preview_location, answer.token


def test_a_new_request_gets_preview_required_with_a_fresh_location() -> None:
    provider, store = make_provider()
    first, second = (provider.answer(build_request(make_request())) for _ in range(2))
    assert first.error is not None and first.error.code == "EDM:ERR:0002"
    assert first.preview_location != second.preview_location
    assert len(store) == 2
    exception = _error(first.body).exception
    assert exception is not None and exception.preview_location == first.preview_location
    token = first.preview_location.removeprefix(PREVIEW_BASE)  # type: ignore[union-attr]
    assert len(token) >= 32 and store.get(token) is not None


@pytest.mark.parametrize(
    ("changes", "code", "rule"),
    [
        ({"explicit_request_given": False}, "EDM:ERR:0003", "EMREX-OOTS-001"),
        ({"possibility_for_preview": False}, "EDM:ERR:0007", "EMREX-OOTS-004"),
        ({"return_location": "http://admissions.lyon.example/back"}, "EDM:ERR:0003", "EMREX-OOTS-011"),
        ({"return_location": "https://user:pw@admissions.lyon.example/"}, "EDM:ERR:0003", "EMREX-OOTS-011"),
        ({"procedure": "Q9"}, "EDM:ERR:0003", "R-EDM-REQ-C003"),
    ],
)
def test_refusals_name_their_rule_and_keep_nothing(changes: dict[str, object], code: str, rule: str) -> None:
    provider, store = make_provider()
    answer = provider.answer(build_request(make_request(**changes)))
    exception = _error(answer.body).exception
    assert exception is not None and exception.code == code
    assert exception.detail is not None and rule in exception.detail
    assert len(store) == 0


def test_a_procedure_we_do_not_serve() -> None:
    provider, _ = make_provider(config=dataclasses.replace(CONFIG, procedures=frozenset({"T1", "T3"})))
    exception = _error(provider.answer(build_request(make_request(procedure="T2"))).body).exception
    assert exception is not None and (exception.code, exception.detail) == (
        "EDM:ERR:0004",
        "EMREX-OOTS-006: no evidence is offered for the procedure T2",
    )


def test_a_request_that_is_not_xml_still_gets_an_error_response() -> None:
    provider, _ = make_provider()
    answer = provider.answer(b"\x00\x01 not xml")
    error = _error(answer.body)
    assert error.request_id is None and error.exception is not None
    assert error.exception.code == "EDM:ERR:0003" and "not well-formed" in (error.exception.detail or "")


def test_a_forged_preview_location_is_refused() -> None:
    provider, _ = make_provider()
    location, _ = _started(provider)
    for forged in (
        PREVIEW_BASE + "A" * 43,  # a well-formed token nobody was given
        "https://evil.example/oots/preview/" + location.removeprefix(PREVIEW_BASE),
        location + "/../other",
    ):
        answer = provider.answer(build_request(make_request(preview_location=forged)))
        assert answer.detail is not None and answer.detail.startswith("EMREX-OOTS-008"), forged


def test_a_preview_location_used_for_another_request_is_refused() -> None:
    provider, store = make_provider()
    location, token = _started(provider)
    other_person = dataclasses.replace(make_request().person, given_name="Karl")  # type: ignore[type-var]
    for changes in ({"person": other_person}, {"requesters": ()}):
        request = make_request(preview_location=location, **changes)
        answer = provider.answer(build_request(request))
        assert answer.error is not None and answer.error.code == "EDM:ERR:0003"
    assert store.get(token).state is State.PREVIEW  # type: ignore[union-attr]


def test_the_preview_session_is_bound_to_the_person_who_logged_in(evidence: Evidence) -> None:
    provider, store = make_provider()
    _, token = _started(provider)
    assert provider.bind_person(token, "asa", LEARNER).accepted
    for act in (
        lambda: provider.bind_person(token, "mallory", LEARNER),
        lambda: provider.approve(token, "mallory", elmo=evidence.elmo, pdf=evidence.pdf),
        lambda: provider.cancel(token, "mallory"),
        lambda: provider.no_results(token, "mallory"),
    ):
        with pytest.raises(PreviewError, match="another person"):
            act()
    assert store.get(token).state is State.PREVIEW  # type: ignore[union-attr]
    assert store.get(token).subject == "asa"  # type: ignore[union-attr]


def test_agreeing_needs_a_login(evidence: Evidence) -> None:
    provider, _ = make_provider()
    _, token = _started(provider)
    with pytest.raises(PreviewError, match="log in"):
        provider.approve(token, "asa", elmo=evidence.elmo, pdf=evidence.pdf)
    assert provider.cancel(token, None).state is State.DECLINED  # declining needs none


def test_unknown_and_malformed_tokens() -> None:
    provider, _ = make_provider()
    for token in ("", "x", "A" * 43, "../../etc/passwd", "A" * 10_000):
        with pytest.raises(PreviewError, match="not known"):
            provider.start_preview(token)


def test_a_review_verdict_is_refused_unless_the_deployment_lets_it_pass() -> None:
    close = dataclasses.replace(LEARNER, given_names="Åsa")  # a given name left out: REVIEW
    strict, _ = make_provider()
    _, token = _started(strict)
    assert not strict.bind_person(token, "asa", close).accepted
    lenient, _ = make_provider(config=dataclasses.replace(CONFIG, accept_review=True))
    _, token = _started(lenient)
    assert lenient.bind_person(token, "asa", close).accepted


def test_a_stale_copy_cannot_overwrite_a_change() -> None:
    provider, store = make_provider()
    _, token = _started(provider)
    stale = store.get(token)
    assert stale is not None
    provider.cancel(token, None)
    assert not store.update(stale.advanced(state=State.APPROVED), expected_version=stale.version)
    assert store.get(token).state is State.DECLINED  # type: ignore[union-attr]


class _RacingStore(MemoryExchangeStore):
    """Another page changes the exchange between our read and our write, once."""

    def __init__(self) -> None:
        super().__init__()
        self.race = False

    def update(self, exchange: Exchange, *, expected_version: int) -> bool:
        if self.race:
            self.race = False
            current = self.get(exchange.token)
            assert current is not None
            super().update(current.advanced(state=State.DECLINED), expected_version=current.version)
        return super().update(exchange, expected_version=expected_version)


def test_two_pages_at_once_the_second_changes_nothing() -> None:
    store = _RacingStore()
    provider = EvidenceProvider(CONFIG, store, clock=Clock())
    _, token = _started(provider)
    store.race = True
    with pytest.raises(ExchangeConflict, match="changed meanwhile"):
        provider.bind_person(token, "asa", LEARNER)
    assert store.get(token).state is State.DECLINED and store.get(token).subject is None  # type: ignore[union-attr]


def test_the_answers_are_dated_by_the_clock() -> None:
    clock = Clock(dt.datetime(2027, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC))
    provider, _ = make_provider(clock)
    assert b"2027-01-02T03:04:05.678Z" in provider.answer(build_request(make_request())).body


@pytest.mark.parametrize(
    "base",
    ["http://emp.example/preview/", "https://emp.example/preview/?x=", "ftp://emp.example/", "https:///p/"],
)
def test_the_preview_base_must_be_https(base: str) -> None:
    with pytest.raises(ValueError, match="https"):
        ProviderConfig(PROVIDER, (TRANSCRIPT,), base)
    assert ProviderConfig(PROVIDER, (TRANSCRIPT,), "http://127.0.0.1:8080/oots/preview/")


def test_each_request_id_is_its_own() -> None:
    provider, store = make_provider()
    request = make_request()
    provider.answer(build_request(request))
    provider.answer(build_request(dataclasses.replace(request, id=new_request_id())))
    assert len(store) == 2


def test_a_development_provider_takes_back_its_own_http_location_and_only_that() -> None:
    """R-EDM-REQ-C005 wants https; a provider on localhost (the demo) gives out http locations."""
    local = dataclasses.replace(CONFIG, preview_base="http://127.0.0.1:8004/oots/preview/")
    provider = EvidenceProvider(local, MemoryExchangeStore(), clock=Clock())
    location, _ = _started(provider)
    assert location.startswith("http://127.0.0.1:8004/")
    repeated = provider.answer(build_request(make_request(preview_location=location)))
    assert repeated.error is not None and repeated.error.code == "EDM:ERR:0002"
    foreign = provider.answer(build_request(make_request(preview_location="http://127.0.0.1:9/x" + "A" * 40)))
    assert foreign.detail is not None and "R-EDM-REQ-C005" in foreign.detail
    production = make_provider()[0]
    refused = production.answer(build_request(make_request(preview_location=location)))
    assert refused.detail is not None and "R-EDM-REQ-C005" in refused.detail


def test_an_http_return_location_only_on_development_hosts() -> None:
    http_return = make_request(return_location="http://localhost:8005/application/1")
    refused = make_provider()[0].answer(build_request(http_return))
    assert refused.detail is not None and refused.detail.startswith("EMREX-OOTS-011")
    local = dataclasses.replace(CONFIG, dev_http_hosts=frozenset({"localhost"}))
    accepted = EvidenceProvider(local, MemoryExchangeStore(), clock=Clock()).answer(
        build_request(http_return)
    )
    assert accepted.preview_location is not None
