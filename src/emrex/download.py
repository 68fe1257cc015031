"""One bounded HTTP download for the commands that fetch reference files (ELMO schemas, EDC shapes).

The caller gives its own error class, so each package keeps raising its own ``FetchError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx


def fetch_bounded(
    client: httpx.Client, url: str, limit: int, what: str, error: Callable[[str, str], Exception]
) -> bytes:
    """The body of a 200 answer to GET ``url``, at most ``limit`` bytes; else ``error(url, problem)``."""
    import httpx  # lazy: httpx is about +95 modules, needed only when fetching

    try:
        with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise error(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise error(url, f"larger than {limit} bytes, not {what}")
                chunks.append(chunk)
    except httpx.TimeoutException:
        raise error(url, "timed out") from None
    except httpx.HTTPError as exc:
        raise error(url, f"download failed ({type(exc).__name__}: {exc})") from None
    return b"".join(chunks)
