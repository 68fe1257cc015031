"""The demo's two looks (emrex.web.look): Lindholm University's EMC in its green with its logo and a
local text on the page where students choose the country; Olympos Polytechnic's EMP in its red. The
other EMPs keep the default look, so a newcomer sees both kinds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LOGO_FILE = "lindholm-logo.svg"
# Our own drawing: a green shield with a white L and a wave beneath it.
LOGO = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 56" width="48" height="56">
<path d="M4 4h40v24c0 13-9 21-20 25C13 49 4 41 4 28z" fill="#1b5e3b" stroke="#ffffff" stroke-width="2"/>
<path d="M17 13h5v20h10v5H17z" fill="#ffffff"/>
<path d="M11 44c4-3 8-3 13 0s9 3 13 0" fill="none" stroke="#ffffff" stroke-width="2"/>
</svg>
"""
EMC_TEXTS = {
    "choose": {
        "en": "Questions about studies abroad? Lindholm University's international office helps: "
        "international@lindholm.example, weekdays 9–15.",
        "sv": "Frågor om studier utomlands? Lindholms universitets internationella kontor hjälper dig: "
        "international@lindholm.example, vardagar 9–15.",
    },
}
EMP_LOOKS: dict[str, dict[str, Any]] = {
    "OLYMPOS": {"name": "Olympos Polytechnic", "accent": "#8a1c1c"},
}


def emc_look(folder: Path) -> dict[str, Any]:
    """The EMC's ``look`` table, its logo written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    logo = folder / LOGO_FILE
    if not logo.is_file() or logo.read_text(encoding="utf-8") != LOGO:
        logo.write_text(LOGO, encoding="utf-8")
    return {
        "name": "Lindholm University",
        "logo": str(logo),
        "accent": "#1b5e3b",
        "header": "#14432b",
        "texts": EMC_TEXTS,
    }
