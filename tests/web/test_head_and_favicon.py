"""HEAD is answered like GET without a body, and /favicon.ico is an icon: on every page of the factory."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    got = client.get("/")
    head = client.head("/")
    assert head.status_code == 200 == got.status_code
    assert head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
    assert client.head("/no/such/page").status_code == 404


def test_head_of_a_post_only_route_is_still_refused(client: TestClient) -> None:
    # /data takes GET and POST; the protocol path only POST: HEAD is GET, so it gets what GET gets.
    assert client.head("/emrex/return").status_code == client.get("/emrex/return").status_code


def test_the_favicon_is_an_icon(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/vnd.microsoft.icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header: reserved 0, type 1 (icon)
    assert "max-age" in response.headers["cache-control"]
    assert client.head("/favicon.ico").status_code == 200
