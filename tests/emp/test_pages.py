"""The student's pages: language, escaping, consent, the receiver's host, no inline code."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.emp.helpers import checked, items, login, post, start


def _preview(emp: TestClient, *picked: str, **params: str) -> tuple[str, str]:
    flow = start(emp, **params)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, item=list(picked), action="preview")
    return flow, emp.get(f"{flow}/preview").text


def test_swedish_pages(emp: TestClient) -> None:
    flow = start(emp)
    start_page = emp.get(flow, params={"lang": "sv"})
    assert '<html lang="sv">' in start_page.text
    assert "Dela dina studieresultat" in start_page.text
    assert "Tjänsten på emc.home.example begär dina studieresultat." in start_page.text
    login(emp, flow)
    page = emp.get(flow).text  # the language stays chosen (cookie)
    assert "Välj resultat att dela" in page
    assert "Utbildningsprogram" in page
    assert "godkänd" in page


def test_the_receiving_host_is_shown_before_consent(emp: TestClient) -> None:
    _, page = _preview(emp, "0:C1")
    assert re.search(r'class="receiver-host">emc\.home\.example<', page)
    assert "sent to emc.home.example." in page
    assert 'name="consent" value="yes"' in page


def test_html_in_names_and_titles_is_escaped(emp: TestClient) -> None:
    flow, page = _preview(emp, "0:C3")
    assert "<script>alert(1)</script>" not in page
    assert "Åsa &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Theory</b>" not in page
    assert "Probability &lt;b&gt;Theory&lt;/b&gt; &amp; Statistics" in page
    selection = emp.get(flow).text
    assert "<b>Theory</b>" not in selection


def test_consent_is_required(emp: TestClient) -> None:
    flow, page = _preview(emp, "0:C1")
    response = post(emp, f"{flow}/send", page, action="send")
    assert response.status_code == 400
    assert "data-emrex-autosubmit" not in response.text
    assert "Tick the box to confirm" in response.text
    assert 'aria-invalid="true"' in response.text
    assert emp.get(f"{flow}/preview").status_code == 200  # nothing was sent or finished


def test_preview_lists_every_item_with_grade_credits_date_and_the_total(emp: TestClient) -> None:
    _, page = _preview(emp, "0:C1", "1:GR-101")
    assert "Linear Algebra" in page and "VG" in page and "7.5" in page and "2024-01-12" in page
    assert "Ancient Greek Philosophy" in page and "8.5" in page and "2023-06-20" in page
    assert "In all: 2 results, 13.5 credits (ECTS)." in page
    assert "Master of Science in Engineering Physics" in page  # context of the picked course
    assert "included as context" in page
    assert "Real Analysis" not in page and "Probability" not in page
    assert "1999-03-14" in page and "19990314-2389" in page


def test_select_all_none_and_the_total_work_without_script(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    page = emp.get(flow).text
    assert checked(page) == []
    post(emp, f"{flow}/select", page, action="all")
    page = emp.get(flow).text
    assert checked(page) == items(page)
    assert "Chosen: 4 results, 19.5 credits (ECTS)." in page  # module, 2 courses, course abroad
    post(emp, f"{flow}/select", page, action="none")
    assert checked(emp.get(flow).text) == []
    post(emp, f"{flow}/select", page, action="update", item=["0:C1", "0:C3"])
    assert "Chosen: 2 results, 13.5 credits (ECTS)." in emp.get(flow).text


def test_picking_nothing_is_refused_with_a_message(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    response = post(emp, f"{flow}/select", emp.get(flow).text, action="preview")
    assert response.headers["location"] == flow
    assert "Choose at least one result" in emp.get(flow).text
    assert emp.get(f"{flow}/preview").status_code == 303


def test_unknown_item_keys_are_ignored(emp: TestClient) -> None:
    flow = start(emp)
    login(emp, flow)
    post(emp, f"{flow}/select", emp.get(flow).text, action="update", item=["0:C2", "9:nothing", "0:C1"])
    assert checked(emp.get(flow).text) == ["0:C1"]  # C2 is failed: not offered


def test_pages_have_no_inline_style_or_script(emp: TestClient) -> None:
    flow, page = _preview(emp, "0:C1")
    for text in (page, emp.get(flow).text):
        assert " style=" not in text
        assert re.search(r"<script>(?!alert)", text) is None
    assert "default-src 'self'" in emp.get(flow).headers["content-security-policy"]


def test_stats_page_is_for_staff_only(make_emp: Callable[..., TestClient]) -> None:
    emp, staff = make_emp(), make_emp()
    flow = start(emp)
    login(emp, flow)
    emp.get(flow)  # the flow is stored (and counted) at its first page after login
    assert emp.get("/admin/stats").status_code == 403
    login(staff, start(staff), "staff")
    page = staff.get("/admin/stats")
    assert page.status_code == 200
    assert "emc.home.example" in page.text
    assert "19990314" not in page.text and "Lindqvist" not in page.text


def test_health(emp: TestClient) -> None:
    assert emp.get("/health").json() == {"status": "ok"}


def test_flow_forms_need_the_csrf_token(emp: TestClient) -> None:
    flow, _ = _preview(emp, "0:C1")
    forged = emp.post(f"{flow}/send", data={"action": "send", "consent": "yes"})
    assert forged.status_code == 403
    assert "data-emrex-autosubmit" not in forged.text
    assert emp.get(f"{flow}/preview").status_code == 200


def test_two_emps_in_one_process_keep_apart(make_emp: Callable[..., TestClient]) -> None:
    first = make_emp(name="First EMP")
    second = make_emp(name="Second EMP", entry_path="/other/emrex", whole_programme_only=True)
    flow = start(first)
    request = {"sessionId": "s", "returnUrl": "https://x.example/r"}
    assert second.post("/emrex", data=request).status_code == 403  # not its entry point: CSRF applies
    assert second.post("/other/emrex", data=request).status_code == 303
    login(first, flow)
    assert "First EMP" in first.get(flow).text
    assert second.get(flow).status_code == 404  # other browser session


def test_changing_language_after_sending_leads_back_to_the_flow(emp: TestClient) -> None:
    from tests.web.picker import change_language

    flow, page = _preview(emp, "0:C1")
    sent = post(emp, f"{flow}/send", page, action="send", consent="yes")
    assert sent.status_code == 200 and "data-emrex-autosubmit" in sent.text
    changed = change_language(emp, sent.text, "sv")
    assert changed.status_code != 405, "the picker sent the browser to a page that only takes posts"
    assert '<html lang="sv">' in changed.text


def test_changing_language_on_the_refused_consent_page_keeps_the_preview(emp: TestClient) -> None:
    from tests.web.picker import change_language

    flow, page = _preview(emp, "0:C1")
    refused = post(emp, f"{flow}/send", page, action="send")
    assert refused.status_code == 400
    changed = change_language(emp, refused.text, "sv")
    assert changed.status_code == 200
    assert '<html lang="sv">' in changed.text and 'name="consent"' in changed.text


def test_head_and_favicon(emp: TestClient) -> None:
    assert emp.head("/").status_code == 200
    assert emp.get("/favicon.ico").status_code == 200


def test_the_guide_follows_the_transfer_and_the_menu_the_person(make_emp: Callable[..., TestClient]) -> None:
    emp, staff = make_emp(), make_emp()
    flow = start(emp)
    first = emp.get(flow).text
    assert '<li class="guide-current" aria-current="step">Log in abroad</li>' in first
    assert 'class="site-nav"' not in first  # nobody logged in: no menu
    assert 'aria-current="step">Log in abroad' in emp.get(f"/login?next={flow}").text
    assert 'aria-current="step"' not in emp.get("/login?next=/admin/stats").text
    login(emp, flow)
    select = emp.get(flow).text
    assert '<li class="guide-current" aria-current="step">Choose the results</li>' in select
    assert '<li><a href="/logout">Log out</a></li>' in select and "/admin/stats" not in select
    preview = _preview(make_emp(), "0:C1")[1]
    assert '<li class="guide-current" aria-current="step">Preview and confirm</li>' in preview
    login(staff, start(staff), "staff")
    stats = staff.get("/admin/stats").text
    assert '<li><a href="/admin/stats" aria-current="page">Statistics</a></li>' in stats


def test_the_data_providers_look(make_emp: Callable[..., TestClient]) -> None:
    emp = make_emp(look={"name": "Olympos Polytechnic", "accent": "#8a1c1c", "texts": {"start": "Hello."}})
    page = emp.get(start(emp)).text
    assert '<span class="brand-name">Olympos Polytechnic</span>' in page
    assert '<div class="local-text">Hello.</div>' in page
    assert "--accent: #8a1c1c;" in emp.get("/look/colours.css").text
