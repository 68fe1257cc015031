"""The catalogue of hostile inputs: every case names its entry point, the attack and what must happen.

Test modules in this folder exercise each case against the real entry point and register the ids
they cover with ``exercised``; ``test_catalogue`` checks that every case is exercised and that the
table in docs/SECURITY.md is the one ``markdown_table()`` writes (``python -m tests.hostile.doc``).
"""

from __future__ import annotations

from dataclasses import dataclass

ENTRY_POINTS = (
    "EMP entry",
    "EMP pages",
    "EMC return",
    "EMC pages",
    "SIS API",
    "library",
    "CLI",
    "registry readers",
    "JSON import",
    "EDC seals",
    "OOTS",
    "EWP API",
    "wallet",
    "ELM/EDC library",
    "ELM converter service",
    "HTTP server",
    "SAML login",
)


@dataclass(frozen=True)
class Case:
    id: str
    entry: str
    attack: str
    expected: str


_EXERCISED: set[str] = set()


def exercised(*ids: str) -> None:
    """Called by the test modules at import: these cases have a test that runs them."""
    _EXERCISED.update(ids)


def exercised_ids() -> frozenset[str]:
    return frozenset(_EXERCISED)


def _cases(entry: str, *rows: tuple[str, str, str]) -> list[Case]:
    return [Case(id_, entry, attack, expected) for id_, attack, expected in rows]


REFUSED_400 = "400 page naming the rule; nothing stored"
DISGUISED_IP = "400 page: the host is a disguised IP address (browsers go to 127.0.0.1); nothing stored"
NOT_READABLE = "400 page: the results could not be read; transfer failed, no document kept"
SIGNATURE_REFUSED = "400 page: signature not accepted; transfer failed, no document kept"
FORGED_POST = "403 page for a post without or with a wrong token; nothing changed"
FOUND = "(found by this catalogue, fixed) "
SAML_REFUSED = (
    "400 page saying why; nobody logged in; nothing stored but the failed attempt; marker not logged"
)
OOTS_INVALID = "EDM:ERR:0003 error response; nothing stored, no preview started"

CASES: tuple[Case, ...] = tuple(
    _cases(
        "EMP entry",
        ("emp-entry-return-url-data-scheme", "`returnUrl` is a `data:` URL with a script", REFUSED_400),
        ("emp-entry-return-url-file-scheme", "`returnUrl` is `file:///etc/passwd`", REFUSED_400),
        ("emp-entry-return-url-protocol-relative", "`returnUrl` is `//evil.example/return`", REFUSED_400),
        ("emp-entry-return-url-backslash", "`returnUrl` hides another host behind `\\@`", REFUSED_400),
        (
            "emp-entry-return-url-credentials",
            "`returnUrl` carries `user:password@` (a personal marker as user name)",
            "400 page: no user name or password allowed; marker not logged",
        ),
        (
            "emp-entry-return-url-idn-lookalike",
            "`returnUrl` host in Unicode imitating the client (Cyrillic `о`)",
            REFUSED_400,
        ),
        (
            "emp-entry-idn-punycode-shown",
            "the same look-alike host in its `xn--` form",
            "served; the start page names the `xn--` host, never the look-alike glyphs",
        ),
        (
            "emp-entry-return-url-decimal-ip",
            "`returnUrl` host `2130706433` (a browser goes to 127.0.0.1; it was shown to the student as is)",
            FOUND + DISGUISED_IP,
        ),
        ("emp-entry-return-url-hex-ip", "`returnUrl` host `0x7f000001`", FOUND + DISGUISED_IP),
        ("emp-entry-return-url-octal-ip", "`returnUrl` host `0177.0.0.1`", FOUND + DISGUISED_IP),
        ("emp-entry-return-url-short-ip", "`returnUrl` host `127.1` with a port", FOUND + DISGUISED_IP),
        (
            "emp-entry-return-url-ipv6-zone-id",
            "`returnUrl` host `[fe80::1%25eth0]` (an IPv6 zone id, which browsers refuse)",
            FOUND + REFUSED_400,
        ),
        (
            "emp-entry-return-url-ipv6-long-form",
            "`returnUrl` host `[0:0:0:0:0:ffff:7f00:1]` (browsers write `[::ffff:7f00:1]`)",
            FOUND + "400 page: the IPv6 address is written in a disguised form; nothing stored",
        ),
        (
            "emp-entry-return-url-percent-host",
            "`returnUrl` host `emc.home%2eexample` (browsers decode it to another name than the one shown)",
            REFUSED_400,
        ),
        ("emp-entry-return-url-very-long", "`returnUrl` of 100 000 characters", REFUSED_400),
        (
            "emp-entry-return-url-newline",
            "`returnUrl` with CR LF and a header (response splitting)",
            REFUSED_400,
        ),
        ("emp-entry-return-url-fragment", "`returnUrl` with a `#fragment` holding markup", REFUSED_400),
        (
            "emp-entry-session-id-markup",
            "`sessionId` is a `<script>` element",
            REFUSED_400 + "; markup not echoed",
        ),
        ("emp-entry-session-id-huge", "`sessionId` of 1 MB", REFUSED_400),
        (
            "emp-entry-query-markup",
            "GET entry with script in the query parameters",
            REFUSED_400 + "; markup not echoed",
        ),
        (
            "emp-entry-file-fields",
            "`sessionId` and `returnUrl` sent as file uploads (wrong type)",
            "400 page: sessionId is missing; nothing stored",
        ),
        (
            "emp-entry-anonymous-flood",
            "300 valid entries from 300 browsers, each opening its start page and the login form (before, "
            "every entry wrote `emp_session`, `emp_event` and `web_session` rows)",
            FOUND + "303 each; no table gains a row (the request waits in a signed cookie until login)",
        ),
        (
            "emp-entry-image-get-flood",
            "300 entries by GET, as `<img>` elements of any web page would send them",
            FOUND + "303 each; nothing stored",
        ),
        (
            "emp-entry-invented-client-hosts",
            "50 entries naming invented client hosts, never followed by a login",
            FOUND + "the statistics page lists none of them (a session is counted from login on)",
        ),
        (
            "emp-entry-request-rate",
            "61 entries from one address within a minute, then the login page",
            FOUND + "the 61st and the login page get a 429 page with `Retry-After`; nothing stored; "
            "another address is served",
        ),
        (
            "emp-entry-cancel-before-login",
            "the start page's cancel, posted before anyone logged in",
            "`NCP_CANCEL` posted back to the client; nothing stored; the flow is gone from the browser",
        ),
        (
            "emp-entry-oversized-post",
            "entry post one byte over the protocol limit",
            "413 page; nothing stored",
        ),
    )
    + _cases(
        "EMP pages",
        (
            "emp-pages-csrf-every-form",
            "every POST route of the app (enumerated from `app.routes`) except the entry, logged in, "
            "without and with a forged `csrf_token`",
            FORGED_POST + "; the entry alone takes cross-site posts",
        ),
        (
            "emp-pages-session-fixation",
            "a session cookie planted before login, and one invented by the attacker",
            "login issues a new id; the old one opens no results (the start page; another person logging "
            "in with it gets 403); the invented one is never adopted",
        ),
        (
            "emp-pages-headers-and-cookies",
            "pages, 404, 400 and 403 responses",
            "strict CSP (no inline code, `frame-ancestors 'none'`), no-referrer, nosniff, DENY, HSTS, "
            "no-store; cookies `__Host-`, Secure, HttpOnly, SameSite=Lax",
        ),
        (
            "emp-pages-login-flood",
            "seven wrong passwords for one user name (a personal marker)",
            "429 page with the time to wait; user name not logged",
        ),
        ("emp-pages-login-oversized-fields", "a 4 MB user name", "413 page; nothing stored"),
        (
            "emp-pages-login-fields-as-files",
            "user name and password sent as file uploads",
            "login refused with the form again; nobody logged in",
        ),
        (
            "emp-pages-unknown-path-identifier",
            "unknown paths whose first segment is an identifier or a name with digits",
            FOUND + "404 page; the request log keeps only a word as the first segment, else `/…`",
        ),
        (
            "emp-pages-login-timing-unknown-user",
            "a wrong password for a user name that does not exist, and for one that does (65 ms against "
            "100 ms told which names exist)",
            FOUND + "401 page either way after the same scrypt work (n, r, p, key and salt length of the "
            "accounts)",
        ),
        (
            "emp-pages-login-parallel-flood",
            "60 wrong passwords for one user name at once, over real sockets, then the right one",
            FOUND + "5 are checked, 55 get the 429 page unread (each attempt is counted before it is "
            "checked, in one locked transaction); the right password then gets 429 too",
        ),
        (
            "emp-pages-language-picker-raw-path",
            "`GET //evil.example/x` (and `///…`, `/.//…`): the language picker's form took its action "
            "from the raw request path",
            FOUND + "404 page whose picker goes to `/language` with a `next` that can only lead to a path "
            "on this site",
        ),
        (
            "emp-pages-flow-of-another-browser",
            "another logged-in person opens a flow's pages by its URL",
            "404 page; no results of the owner shown; nothing stored",
        ),
        (
            "emp-pages-stats-period-hostile",
            "`/admin/stats` and its CSV/JSON downloads with `from`/`to` of a script, 60 000 characters, "
            "month 13, digits of another script, a reversed and a 100-year period",
            "400: the page with its form and a clear message, the input escaped and cut to 20 characters; "
            "a download says why in one line; nothing stored",
        ),
    )
    + _cases(
        "EMC return",
        ("emc-return-xxe", "ELMO with an external entity (`file:///etc/passwd`)", NOT_READABLE),
        ("emc-return-entity-expansion", "ELMO with nested entity expansion (billion laughs)", NOT_READABLE),
        ("emc-return-dtd", "ELMO with an external DTD", NOT_READABLE),
        ("emc-return-deep-nesting", "50 000 nested elements (plain base64, no gzip)", NOT_READABLE),
        (
            "emc-return-huge-attribute",
            "one attribute of 11 MB (incompressible), unsigned",
            "400 page: not signed (parsed within our limits, no libxml2 words); no document kept",
        ),
        ("emc-return-invalid-utf8", "bytes that are not UTF-8 in a UTF-8 document", NOT_READABLE),
        (
            "emc-return-gzip-bomb",
            "2 MB of blanks in 2 KB of gzip",
            "400 page: too large (ratio); no document kept",
        ),
        ("emc-return-nested-gzip", "gzip inside gzip", NOT_READABLE),
        (
            "emc-return-namespace-flood",
            "a signed document with 2000 namespace declarations on the root and 20 000 empty elements "
            "(140 KB; libxml2's C14N took minutes of CPU for it)",
            FOUND + "400 page at once: too many namespaces to canonicalize; no document kept",
        ),
        (
            "emc-return-truncated-gzip",
            "a gzip stream cut short",
            "400 page: could not be unpacked; no document kept",
        ),
        (
            "emc-return-malformed-base64",
            "`elmo` outside the base64 alphabet",
            "400 page: could not be unpacked; no document kept",
        ),
        ("emc-return-second-signature", "a second `Signature` beside the genuine one", SIGNATURE_REFUSED),
        (
            "emc-return-signature-moved-down",
            "genuine signature moved into `report`, learner forged",
            SIGNATURE_REFUSED,
        ),
        (
            "emc-return-signed-nested-in-forged",
            "genuine signed document wrapped inside a forged one",
            SIGNATURE_REFUSED,
        ),
        ("emc-return-extra-reference", "a second `Reference` to `#forged`", SIGNATURE_REFUSED),
        (
            "emc-return-partial-signature",
            '`Reference URI="#only-this"`: a signature over the learner element only',
            SIGNATURE_REFUSED,
        ),
        ("emc-return-object-in-signature", "forged learner smuggled in a `ds:Object`", SIGNATURE_REFUSED),
        ("emc-return-xslt-transform", "an XSLT transform added to the reference", SIGNATURE_REFUSED),
        (
            "emc-return-xpath-filter-transform",
            "an XPath filter transform leaving the (forged) learner out of the digest",
            SIGNATURE_REFUSED,
        ),
        (
            "emc-return-comment-in-signed-name",
            "a comment inserted into a signed name (`Å<!-- x -->sa`; comments are not digested)",
            "accepted: the name is read whole from the signed tree, identity matches",
        ),
        (
            "emc-return-foreign-namespace-signature",
            "the signature element renamed into another namespace",
            SIGNATURE_REFUSED,
        ),
        (
            "emc-return-keyinfo-stranger",
            "signed by a key outside the registry, its own certificate in `KeyInfo`",
            SIGNATURE_REFUSED,
        ),
        ("emc-return-sha1-rejected", 'RSA-SHA1 / SHA-1 signature with `sha1 = "reject"`', SIGNATURE_REFUSED),
        (
            "emc-return-certificate-expired",
            "signed with a key whose registry certificate has expired",
            SIGNATURE_REFUSED + " (expired)",
        ),
        (
            "emc-return-certificate-not-yet-valid",
            "signed with a key whose certificate is not valid yet",
            SIGNATURE_REFUSED + " (not valid before)",
        ),
        (
            "emc-return-registry-changed-certificate",
            "after the start, the registry serves an attacker's certificate for the chosen EMP",
            SIGNATURE_REFUSED + ": the certificate pinned at the start counts",
        ),
        (
            "emc-return-session-replayed",
            "a second answer with a used `sessionId`",
            "409 page; the stored transfer unchanged",
        ),
        (
            "emc-return-session-other-student",
            "another logged-in student posts an answer to someone's `sessionId`",
            "403 page; the transfer still waits for its owner",
        ),
        ("emc-return-session-expired", "an answer after the transfer expired", "410 page; nothing stored"),
        (
            "emc-return-session-unknown",
            "a well-formed `sessionId` nobody started",
            "400 page; nothing stored",
        ),
        ("emc-return-session-oversized", "a `sessionId` of 95 000 characters", "400 page; nothing stored"),
        (
            "emc-return-fields-as-files",
            "`elmo` sent as a file upload (wrong type)",
            "400 page: sent no results; no document kept",
        ),
        (
            "emc-return-code-log-injection",
            "`returnCode` holding a personal marker and a newline",
            FOUND + "400 page quoting the code escaped; the log names only known codes",
        ),
        ("emc-return-too-many-fields", "5000 form fields", "400 page; the transfer still waits"),
        (
            "emc-return-broken-multipart",
            "a multipart body cut off inside a part header",
            "400 page; the transfer still waits",
        ),
        (
            "emc-return-invalid-percent-encoding",
            "percent-escapes that are not UTF-8, NUL, a dangling `%`",
            "400 page; the transfer still waits",
        ),
        (
            "emc-return-oversized-post",
            "2 MB answer to an EMC allowing 1 MB",
            "413 page before the body is read",
        ),
        (
            "emc-return-answer-replayed",
            "a finished transfer's signed `elmo` (each student can download theirs) posted into a new "
            "transfer",
            FOUND + "400 page: generated before this transfer started; nothing imported twice",
        ),
        (
            "emc-return-old-document-resigned",
            "a genuinely signed document dated 2015 (grades revoked at the source since would come back)",
            FOUND + "400 page: generated before this transfer started; no document kept",
        ),
        (
            "emc-return-undated-document",
            "a signed document without `generatedDate` (it cannot be told apart from an old one)",
            "400 page: no generation date; no document kept",
        ),
        (
            "emc-return-large-pdf",
            "a signed answer carrying a 9 MB PDF (its base64 is over libxml2's 10 000 000 characters "
            "per text node)",
            FOUND + 'accepted, the PDF served whole (refused before with "try XML_PARSE_HUGE", '
            "far below the documented limits)",
        ),
        (
            "emc-return-future-dated",
            "a signed document dated a day after its arrival",
            "400 page: later than its arrival, the data provider's clock is wrong; no document kept",
        ),
        (
            "emc-return-same-answer-two-transfers",
            "one fresh signed answer posted into two transfers of the student started before it",
            FOUND + "the second gets a 400 page: received already in the first; no document kept",
        ),
        (
            "emc-return-results-imported-already",
            "a new document whose every result (issuer, course, date) the student imported before",
            FOUND + "400 page: all results imported already, naming the transfer; no credential twice",
        ),
        (
            "emc-return-issuer-not-served",
            "a document signed with the chosen EMP's key naming Harvard (US, not in the registry's list of "
            "that EMP's institutions) as the issuer",
            FOUND + "shown with the reason to the student and staff; confirming queues it for staff "
            "review, nothing imported",
        ),
        (
            "emc-return-value-longer-than-its-column",
            "a correctly signed grade or course code of 300 characters, credits of 45 digits",
            FOUND + "400 page naming the value and the limit; nothing stored (on PostgreSQL the import "
            "failed later with a 500, and the transfer could never be imported)",
        ),
        (
            "emc-return-verification-flood",
            "more answers at once than the EMC has verification slots (each may hold a 16 MB document)",
            FOUND + "503 page with `Retry-After` after a bounded wait; the transfer still waits; nothing "
            "stored; the same answer is accepted when sent again",
        ),
        (
            "emc-return-message-markup",
            "`returnMessage` of 1 MB with a script",
            "stored clipped to 500 characters, shown escaped",
        ),
        (
            "emc-return-attachment-not-a-pdf",
            "a signed attachment declared `application/pdf` whose bytes are an HTML page with a script",
            "accepted without a transcript; the PDF download is a 404 page, the HTML is never served",
        ),
        (
            "emc-return-markup-in-every-text-field",
            "script and HTML in every free-text field of a correctly signed ELMO and in the names",
            "accepted; the student's and staff pages show all of it escaped",
        ),
    )
    + _cases(
        "EMC pages",
        (
            "emc-pages-csrf-every-form",
            "every POST route (enumerated, staff and mounted API included) except the return, logged in, "
            "without and with a forged `csrf_token`",
            FORGED_POST + "; the return alone takes cross-site posts",
        ),
        (
            "emc-pages-session-fixation",
            "an invented session cookie, and a pre-login id known to the attacker",
            "the invented id is not adopted; login issues a new id; the old one is logged out",
        ),
        (
            "emc-pages-login-flood-spoofed-address",
            "21 wrong passwords under 21 user names, each with another `X-Forwarded-For`",
            "429 page: the header counts only from a trusted proxy, so the address limit holds",
        ),
        (
            "emc-pages-headers-and-cookies",
            "pages, 404, 400, 403 and the login redirect",
            "same headers and cookie flags as the EMP",
        ),
        (
            "emc-pages-query-markup",
            "script in `country`, `next` and `lang` query parameters",
            "404 or the page, markup escaped; nothing stored",
        ),
        (
            "emc-pages-start-unlisted-emp",
            "start a transfer towards a URL that is not in the registry",
            "400 page; no transfer; the URL not echoed",
        ),
        (
            "emc-pages-start-oversized-fields",
            "start with a 100 KB country, a 4 MB EMP URL, fields as files",
            "400, 413 and 400 pages; no transfer",
        ),
        (
            "emc-pages-wrongly-typed-path",
            "transfer ids `1 OR 1=1`, `-1`, `1e3`, NUL",
            "400 or 404 page, no traceback; nothing changed",
        ),
        (
            "emc-pages-id-beyond-64-bits",
            "transfer id of 30 digits",
            FOUND + "404 page, the database is not asked",
        ),
        (
            "emc-pages-open-transfer-flood",
            "one student starts 8 transfers at once where 2 may wait at a time (each open transfer is "
            "a ticket for one verification)",
            FOUND + "429 page for the 6 beyond the limit, counted under a lock on SQLite and PostgreSQL",
        ),
        (
            "emc-verify-garbage",
            "`/verify` gets bytes that are no document, broken JSON, an unsealed credential, an empty file",
            "400 page with one line saying what the file is not; nothing stored",
        ),
        (
            "emc-verify-xml-bomb",
            "`/verify` gets ELMO with nested entity expansion (billion laughs), plain and in the "
            "transport form",
            "400 page: the document cannot be read (the entities are never expanded); nothing stored",
        ),
        (
            "emc-verify-json-bomb",
            "`/verify` gets JSON nested 100 000 deep, a member given twice, a 10 MB string of digits",
            "400 page naming the fault in one line; nothing stored",
        ),
        (
            "emc-verify-remote-context",
            "`/verify` gets a credential sealed by a trusted key whose `@context` names a remote URL",
            "nothing is fetched (no connection is opened); 'not valid', its results are not shown",
        ),
        (
            "emc-verify-huge-upload",
            "`/verify` gets an upload beyond its limit (16 MB), with and without Content-Length",
            "413 page before the form is parsed; nothing stored, no temporary file",
        ),
        (
            "emc-verify-cross-site-post",
            "another site makes a visitor's browser post a document to `/verify` (no CSRF token)",
            "answered like any upload: nothing stored, no session made, the answer readable only by "
            "that browser (the page needs no token: it changes nothing)",
        ),
        (
            "emc-edc-other-students-transfer",
            "a student asks for another student's transfer as a sealed credential, by its id",
            "404 page; nothing sealed, nothing stored",
        ),
        (
            "emc-pages-confirm-same-results-twice",
            "two transfers fetched at once from one provider (two documents, the same results), both "
            "confirmed at the same moment",
            FOUND + "each result imported once (the second import skips what the first stored, under "
            "a lock); its page lists them with the transfer they came from",
        ),
        (
            "emc-pages-confirm-one-transfer-twice",
            "one transfer confirmed from two tabs (or workers) at the same moment",
            FOUND + "one import (PostgreSQL imported every result and the webhook event twice): "
            "each stored once; the other tab gets a 409 "
            "page (the results no longer wait for a decision)",
        ),
        (
            "emc-pages-open-redirect",
            "login with `next` = absolute, `//`, `/\\` and tab-prefixed URLs",
            "303 to a path on the site only",
        ),
        (
            "emc-pages-other-students-transfer",
            "another student opens, downloads, confirms, deletes someone's transfer",
            "404/409/403 pages; nothing shown or changed",
        ),
        (
            "emc-pages-cancel-others-transfer",
            "another student cancels someone's waiting transfer by its id (and ids next to it)",
            "404 page; the transfer still waits for its owner",
        ),
        (
            "emc-staff-search-hostile",
            "staff search for a script, for 60 000 characters, for the SQL wildcards `%`, `_` and a quote",
            "200 page finding nobody, the query escaped and cut to 200 characters; nothing stored",
        ),
        (
            "emc-staff-unknown-subject-markup",
            "`/staff/student?subject=` a script nobody has as login name",
            FOUND + "404 page: the student is not known here, the name escaped (was an empty overview)",
        ),
        (
            "emc-ewp-fetch-forged-post",
            "the EWP fetch form posted without or with a forged `csrf_token`, and by a logged-in student",
            "403 page; nothing fetched, nothing stored",
        ),
        (
            "emc-ewp-fetch-hostile-fields",
            "the EWP fetch form with a script as partner, mobility id and login name, 60 000 characters, "
            "a birth date that is no date, an ESI that is not one",
            "400 page with the form again (404 for a script that is valid EWP id syntax: asked for, not "
            "found), every value escaped and cut; nothing stored; nothing typed reaches the log",
        ),
        (
            "emc-ewp-fetch-someone-elses-transcript",
            "staff fetch a mobility whose transcript carries another student's ESI than the one named",
            "409 page: the transcript belongs to someone else; nothing stored",
        ),
        (
            "emc-ewp-fetch-untrusted-transcript",
            "the partner answers with an ELMO signed by a key its registry entry does not list",
            "502 page: the signature was not accepted; nothing stored",
        ),
        (
            "emc-staff-refused-decision-markup",
            "a review decision that is no decision, with a reason of 50 KB holding a script",
            FOUND + "400 page with the form again, the reason escaped; the transfer still waits for review",
        ),
        (
            "emc-pages-anonymous-login-flood",
            "500 anonymous visitors of the login page (2 000 made 2 000 session rows)",
            FOUND + "the form with its CSRF token each time; no table gains a row (the token travels in a "
            "signed cookie until login)",
        ),
        (
            "emc-pages-login-request-rate",
            "61 login pages from one address within a minute; the same from two addresses of one IPv6 /64",
            FOUND + "429 page with `Retry-After` from the 61st; an IPv6 /64 counts as one address, another "
            "network is served",
        ),
        (
            "emc-pages-next-dot-segments",
            "`next=/.//evil.example`, `/%2e//…`, `/x/..//…` at login and on the language route (a "
            "browser resolves the dot segments to `//evil.example`)",
            FOUND + "303 to `/`: dot segments are resolved as browsers do, and a result that is not a "
            "local path is dropped",
        ),
        (
            "emc-staff-statistics-period-hostile",
            "`/staff/statistics` and its CSV/JSON downloads with `from`/`to` of a script, 60 000 "
            "characters, month 13, digits of another script, a reversed and a 100-year period",
            "400: the page with its form and a clear message, the input escaped and cut to 20 characters; "
            "a download says why in one line; nothing stored",
        ),
        (
            "emc-staff-statistics-hostile-names",
            "a data provider's name (from a registry) and an issuer's name (from a signed document) "
            "holding a script, counted on the statistics page",
            "shown escaped in the tables; every chart parses as SVG with no script; the downloads carry "
            "no names at all",
        ),
    )
    + _cases(
        "SIS API",
        ("api-no-token", "no `Authorization` header", "401 JSON with `WWW-Authenticate: Bearer`"),
        ("api-token-in-query", "the valid token in the query string", "401 JSON: tokens only in the header"),
        ("api-wrong-token-non-ascii", "a token with Latin-1 bytes", "401 JSON"),
        ("api-huge-token", "a 60 KB token", "401 JSON"),
        ("api-limit-out-of-range", "`limit=100000`", "422 JSON naming the parameter"),
        ("api-wrongly-typed-query", "`after=1 OR 1=1`, `limit=abc`", "422 JSON naming the parameters"),
        ("api-student-filter-markup", "`student=<script>…`", "200 JSON with no items; nothing echoed"),
        ("api-student-filter-too-long", "`student` of 380 characters", "422 JSON"),
        (
            "api-write-method",
            "POST to a read-only collection",
            "403 (the CSRF check stops it before routing)",
        ),
        ("api-id-beyond-64-bits", "`/transfers/<30 digits>`", FOUND + "404 JSON"),
        ("api-after-beyond-64-bits", "`after=<30 digits>`", FOUND + "200 JSON with no items"),
        (
            "api-status-filter-unknown",
            "`status=` a value that is no status (`bogus`)",
            FOUND + "422 JSON naming `status` and the values it takes (was 200 with no items)",
        ),
        (
            "api-date-before-year-one",
            "`since=0001-01-01T00:00:00+01:00` (before year one in UTC)",
            FOUND + "422 JSON naming `since` (was a 500 with SQL in the log on PostgreSQL)",
        ),
        (
            "api-date-after-year-9999",
            "`until=9999-12-31T23:30:00-05:00` (after year 9999 in UTC)",
            FOUND + "422 JSON naming `until`",
        ),
    )
    + _cases(
        "library",
        (
            "lib-reader-parameter-entity",
            "a parameter entity loading a remote DTD",
            "`ElmoParseError`: DOCTYPE refused",
        ),
        ("lib-reader-control-character-reference", "`&#1;` in a name", "`ElmoParseError` with the line"),
        (
            "lib-reader-huge-text-node",
            "a 17 MB text node, over the 16 MB document limit",
            "`InputTooLarge` naming our limit, before parsing",
        ),
        (
            "lib-reader-text-node-over-libxml2-limit",
            "an 11 MB text node (libxml2's own limit is 10 000 000 characters: a PDF of about 7.5 MB)",
            FOUND + 'read whole: our documented size limit decides, not libxml2\'s ("try XML_PARSE_HUGE")',
        ),
        (
            "lib-xml-element-flood",
            "2.4 million empty elements in 9.6 MB (parsing them took a second and hundreds of MB)",
            FOUND + "`InputTooLarge` from a count of the tags, before parsing",
        ),
        (
            "lib-xml-element-count-exact",
            "300 000 self-closing elements: under twice the limit in tags, over it in elements",
            "`InputTooLarge` naming the exact count after parsing",
        ),
        (
            "lib-xml-deep-nesting-beyond-libxml2",
            "3000 nested elements (libxml2's huge-tree limit is 2048, its message names XML_PARSE_HUGE)",
            "`XmlError` in our words: nested deeper than 256 levels, with the line",
        ),
        ("lib-reader-wrong-declared-encoding", "UTF-8 bytes declared as UTF-16", "`ElmoParseError`"),
        ("lib-reader-over-size-limit", "a document over `max_bytes`", "`EmrexError`: larger than the limit"),
        (
            "lib-reader-xinclude-ignored",
            "`xi:include` of `/etc/passwd` in a name",
            "read as an unknown element; nothing included",
        ),
        (
            "lib-codec-base64-over-limit",
            "a value over `max_encoded_bytes`",
            "`InputTooLarge` before decoding",
        ),
        ("lib-codec-ratio-bomb", "400 KB of blanks in gzip", "`InputTooLarge`: possible gzip bomb"),
        ("lib-codec-non-ascii", "non-ASCII characters in the value", "`TransportError`: not base64"),
        ("lib-codec-truncated", "a truncated gzip stream", "`TransportError`"),
        (
            "lib-verify-namespace-flood",
            "3000 namespace declarations on the root of a signed document",
            FOUND + "`NamespaceFlood` (an `XmlError`) before C14N; a dozen namespaces still verify",
        ),
        (
            "lib-verify-namespace-flood-signed-info",
            "20 000 namespace declarations on the root and no body: C14N of `SignedInfo` alone took 14 s",
            FOUND + "`NamespaceFlood` before any C14N",
        ),
        (
            "lib-verify-dummy-signature-big-body",
            "a dummy signature over a body of 100 000 empty elements",
            FOUND + "`SignatureValueMismatch` from SignedInfo alone: the body is never canonicalized",
        ),
        (
            "lib-verify-keyinfo-certificate-flood",
            "5000 certificates in `KeyInfo` before the signer's own (each costs a parse and an RSA check)",
            FOUND + "only the first 4 are tried; `SignatureValueMismatch`",
        ),
        (
            "lib-verify-sha1-rejected",
            'SHA-1 signature under `VerifyPolicy(sha1="reject")`',
            "`DisallowedAlgorithm`",
        ),
        (
            "lib-verify-certificate-expired",
            "verification after the certificate's end",
            "`CertificateExpired`",
        ),
        ("lib-verify-certificate-not-yet-valid", "verification before its start", "`CertificateNotYetValid`"),
        (
            "lib-verify-keyinfo-not-trusted",
            "signed by another key with the same name and CA, its certificate in `KeyInfo`",
            "`UntrustedSigner`",
        ),
        (
            "lib-chart-hostile-labels",
            "`emrex.web.charts` labels, title and description with `<script>`, quotes, `]]>`, control "
            "characters and a lone surrogate; a chart id with quotes and an event handler",
            "well-formed SVG holding them as text only (characters XML cannot carry dropped); the id "
            "reduced to letters, digits and hyphens",
        ),
    )
    + _cases(
        "CLI",
        ("cli-decode-gzip-bomb", "`emrex elmo decode` of a 30 MB gzip bomb", "exit 2, one line: gzip bomb"),
        ("cli-validate-xxe", "`emrex elmo validate` of an XXE document", "exit 1, one line: DOCTYPE refused"),
        (
            "cli-verify-wrapped-signature",
            "`emrex verify` of a document with two signatures",
            "exit 1, one line",
        ),
        (
            "cli-verify-registry-deep-json",
            "`emrex verify --registry` with 200 000 nested arrays",
            "exit 2, one line: nested too deeply",
        ),
        (
            "cli-verify-registry-foreign-issuer",
            "`emrex verify --registry` of a document signed by FJORDNET naming Harvard as the issuer",
            FOUND + "exit 1: the signature details, then one line naming the issuer the registry does "
            "not list",
        ),
        ("cli-verify-bad-time", "`emrex verify --at yesterday`", "exit 2, one line naming `--at`"),
        ("cli-registry-show-xxe", "`emrex registry show` of an XXE catalogue", "exit 1, one line"),
        ("cli-registry-show-not-json", "`emrex registry show` of UTF-16 garbage", "exit 1, one line"),
        ("cli-missing-file", "a file that does not exist", "exit 2 naming the file"),
        ("cli-directory-as-file", "a folder where a file is expected", "exit 2, one line"),
        (
            "cli-show-terminal-escapes",
            "C1 terminal control characters (CSI, OSC) in a name",
            "`emrex elmo show` prints the text without them",
        ),
        (
            "cli-pdf-given-as-elmo",
            "`emrex verify` (and `elmo show`) of a PDF transcript instead of its ELMO",
            FOUND + "exit 2, one line: it is a PDF file, not an ELMO document (was: not base64)",
        ),
        (
            "cli-malformed-quotes-no-text",
            "malformed documents whose parser messages quote a name or text (an open CDATA section, a tag "
            "mismatch, an undefined entity or prefix, an attribute twice) holding a personal marker",
            FOUND + "exit 2 from `show`, `validate` and `verify` alike, one line, the marker not printed "
            "(was: two lines echoing the text; exit 1 or 2 by command)",
        ),
        (
            "cli-show-forged-signature",
            "`emrex elmo show` of a signed document whose signed content was changed",
            FOUND + "says `signature present, not verified (use emrex verify)`, never `signed`",
        ),
        (
            "cli-hash-password-nothing-piped",
            "`emrex login hash-password` with empty or blank standard input from a pipe",
            FOUND + "exit 2 or 1, one line: no password / an empty password (was: internal error, EOFError)",
        ),
        (
            "cli-stats-wrong-database",
            "`emrex emp stats --database` of a missing file, an empty file and the EMC's database",
            FOUND + "exit 2, one line each; no file created, nothing migrated (was: a new database "
            "created and migrated, zeros reported)",
        ),
        (
            "cli-import-bad-json",
            "`emrex emp import` of UTF-16, deeply nested and invalid files",
            "exit 1 each; every table unchanged; marker not printed",
        ),
    )
    + _cases(
        "registry readers",
        ("registry-json-huge-integer", "a 5000-digit number", "`RegistryError`: not usable JSON"),
        ("registry-json-nan", "`NaN` constant", "`RegistryError`"),
        ("registry-json-deep-nesting", "200 000 nested arrays", "`RegistryError`: nested too deeply"),
        (
            "registry-json-wrong-types",
            "an EMP `url` that is an array",
            "`RegistryError` naming `emps[0].url`",
        ),
        ("registry-json-latin1", "Latin-1 bytes in a UTF-8 list", "`RegistryError` with line and column"),
        (
            "registry-json-duplicate-key",
            "`pubKey` given twice in one EMP (parsers disagree which counts)",
            FOUND + "`RegistryError`: a member appears twice",
        ),
        (
            "registry-json-only-damaged-entries",
            "a list whose only EMPs have a garbage certificate or plain HTTP",
            "`RegistryError`: no usable EMP",
        ),
        (
            "registry-damaged-entry-skipped",
            "one damaged EMP beside a good one",
            "the good one is served; a warning names the damaged one",
        ),
        (
            "registry-catalogue-xxe",
            "EWP catalogue with an external entity",
            "`RegistryError`: DOCTYPE refused",
        ),
        ("registry-unknown-format", "an HTML page instead of a list", "`RegistryError`"),
        (
            "registry-server-config-by-url",
            "a URL serving a registry server's TOML whose certificates name `/etc/passwd` and `../..` paths",
            "`RegistryError`: give its path; no local file is read",
        ),
        (
            "registry-plain-http-source",
            "a remote registry URL over plain HTTP",
            "`RegistryError` before any fetch",
        ),
    )
    + _cases(
        "JSON import",
        ("sis-huge-integer", "a 5000-digit credit value", "`SisImportError`: not valid JSON; nothing stored"),
        ("sis-nan-credits", "`NaN` credits", "`SisImportError` naming the JSON path; nothing stored"),
        ("sis-credits-out-of-range", "`-1e300` credits", "`SisImportError`: out of range; nothing stored"),
        ("sis-not-utf8", "a Latin-1 byte", "`SisImportError`; nothing stored"),
        (
            "sis-duplicate-key",
            "`familyName` given twice for one person",
            FOUND + "`SisImportError`: a member appears twice; nothing stored",
        ),
        (
            "sis-oversized-identifier",
            "a 650-character identifier",
            "`SisImportError` naming the field, not the value; nothing stored",
        ),
        ("sis-nul-in-name", "NUL in a given name", "`SisImportError`: control characters; nothing stored"),
        ("sis-wrong-types", "`results` an object, `birthDate` a number", "`SisImportError` naming each path"),
        (
            "sis-conflict-found-while-writing",
            "a grading scheme that is found missing only while writing",
            "`SisImportError`; the whole import rolled back",
        ),
    )
    + _cases(
        "EDC seals",
        ("seal-alg-none", "a JAdES seal with `alg: none` and no signature", "`SealRefused`: alg none"),
        (
            "seal-hs256-certificate-key",
            "`alg: HS256` keyed with the seal certificate (DER and PEM), which anyone can read",
            "`SealRefused`: a shared-secret code is not a seal",
        ),
        (
            "seal-unknown-crit",
            "a validly signed seal whose `crit` lists `exp`, or `sigD` (detached content)",
            "`SealRefused` naming the header",
        ),
        (
            "seal-b64-true-unencoded",
            "`b64: true` (or `b64: false` not in `crit`) against a payload signed unencoded",
            "`SealRefused`: the payload is not base64url / b64 must be critical",
        ),
        (
            "seal-untrusted-root",
            "a seal whose chain ends at a self-made root named like the trusted CA",
            "chain failed; verdict failed; CLI exit 1",
        ),
        ("seal-other-payload", "the signature of one seal over another credential", "`SealBroken`"),
        (
            "seal-certificate-swapped",
            "`x5c` or `kid` replaced by another certificate of the same CA under the signature",
            "`SealRefused`: names another certificate",
        ),
        (
            "seal-oversized",
            "2 MB against a 1 MB limit",
            "`InputTooLarge` before parsing (under 0.5 s)",
        ),
        (
            "seal-json-bombs",
            "200 000 nested arrays (outside and in the payload), `payload` or `issuer` given twice, a "
            "5000-digit number, `NaN`, a lone surrogate in the payload",
            "`SealUnreadable` naming the problem",
        ),
        (
            "seal-smuggled-structure",
            "two signatures; `alg` also unprotected; garbage in the unsigned `etsiU`",
            "`SealRefused`; unsigned garbage is only a warning, never trusted",
        ),
        (
            "seal-converted-results-changed",
            "a Converted credential whose grades were changed beside its genuine signed original ELMO, "
            "then sealed by a trusted sealer",
            "`emrex edc verify`: embedded ELMO failed (the credential differs from its original); verdict "
            "failed; exit 1",
        ),
        (
            "seal-converted-foreign-original",
            "a Converted credential carrying an original ELMO signed by a key no registry EMP holds",
            "embedded ELMO failed (its signature is not accepted); verdict failed",
        ),
        (
            "seal-cli-one-line",
            "`emrex edc verify` of `alg: none`, HS256 and a nesting bomb",
            "exit 1, 1 and 2, one line each",
        ),
    )
    + _cases(
        "OOTS",
        (
            "oots-xxe",
            "a QueryRequest with an external entity reading `file:///etc/passwd`",
            "EDM:ERR:0003 naming the refused DOCTYPE; nothing read, no preview started",
        ),
        ("oots-entity-expansion", "nested entity expansion (billion laughs) in a QueryRequest", OOTS_INVALID),
        (
            "oots-dtd-in-submission",
            "a WS-plugin submission whose SOAP envelope has a DOCTYPE",
            "SOAP Fault: DTDs refused; nothing queued",
        ),
        ("oots-deep-nesting", "10 000 nested elements in a QueryRequest", OOTS_INVALID),
        (
            "oots-oversized-request",
            "a QueryRequest of 2 MB (a real one is a few KB)",
            "EDM:ERR:0003: larger than the limit, refused before parsing; no preview started",
        ),
        (
            "oots-oversized-submission",
            "a 40 MB submission to the access point's WS plugin",
            "413 with a SOAP Fault before the body is read; nothing queued",
        ),
        (
            "oots-oversized-attachment",
            "a 9 MB payload in a submission",
            FOUND
            + "SOAP Fault naming the payload that is larger than the limit (libxml2's 'try XML_PARSE_HUGE' "
            "once reached the fault); nothing queued",
        ),
        (
            "oots-oversized-evidence",
            "the data provider hands over a 6 MB PDF",
            "`EvidenceRefused`; the exchange fails and the repeated request gets EDM:ERR:0004; nothing sent",
        ),
        ("oots-too-many-parts", "an AS4 message with 100 MIME parts", "`EbmsError` before a part is read"),
        (
            "oots-no-explicit-request",
            "`ExplicitRequestGiven` false",
            "EDM:ERR:0003 naming EMREX-OOTS-001; no preview started",
        ),
        (
            "oots-unknown-procedure",
            "`Procedure` `ZZ9`, a code outside the Procedures list",
            "EDM:ERR:0003 naming R-EDM-REQ-C003; no preview started",
        ),
        (
            "oots-forged-preview-location",
            "repeated requests whose PreviewLocation is on another host, carries an invented token, or the "
            "token of someone else's request",
            "EDM:ERR:0003 naming EMREX-OOTS-008 or 009; no evidence sent; the real exchange unchanged",
        ),
        (
            "oots-preview-other-person",
            "another logged-in person binds, agrees to or cancels a preview bound to its owner",
            "`PreviewError`: the preview belongs to another person; the exchange unchanged",
        ),
        (
            "oots-pages-other-person",
            "another logged-in person opens, agrees to or cancels (at the EMP's preview pages) a preview "
            "token bound to the person who logged in first",
            "403 page without the owner's results; the exchange unchanged; the owner still agrees",
        ),
        (
            "oots-pages-forged-token",
            "the preview pages opened and posted with an invented token, and with a 300-character one",
            "404 page; nothing changed; the requester's repeat with such a location gets EMREX-OOTS-008",
        ),
        (
            "oots-pages-cross-site-post",
            "agreeing or cancelling by a post from another site (no CSRF token)",
            "403; the exchange unchanged",
        ),
        (
            "oots-pages-markup-in-requester",
            "script markup and a personal marker in the requester's name and the evidence type's title, "
            "shown on the EMP's preview pages",
            "escaped on every page; the marker not logged",
        ),
        (
            "oots-unsafe-return-location",
            'a ReturnLocation `javascript:…`, plain `http://` to another host, with `"><script>`, or with '
            "user:password",
            "EDM:ERR:0003 naming EMREX-OOTS-011; no preview started, so the link is never shown",
        ),
        (
            "oots-markup-in-request",
            "script markup and a personal marker in the procedure and the person's names",
            "EDM:ERR:0003; the detail escaped in the XML; nothing logged",
        ),
    )
)


EWP_REFUSED = "nothing served; an EWP `<error-response>` saying why"

CASES += tuple(
    _cases(
        "EWP API",
        (
            "ewp-unsigned",
            "a ToRs `get` without an HTTP Signature",
            '401 with `WWW-Authenticate: Signature realm="EWP"` and `Want-Digest`; ' + EWP_REFUSED,
        ),
        ("ewp-unknown-key", "signed with a key the EWP registry does not list", "403; " + EWP_REFUSED),
        (
            "ewp-server-key-as-client",
            "signed with a host's server key (registered for responses only)",
            "403; " + EWP_REFUSED,
        ),
        (
            "ewp-wrong-key",
            "a registered partner's `keyId` over a signature made with another key",
            "400: the signature does not match; " + EWP_REFUSED,
        ),
        (
            "ewp-header-not-signed",
            "`x-request-id`, `digest` or the date left out of the signed headers",
            "401 naming the header; " + EWP_REFUSED,
        ),
        (
            "ewp-algorithm-confusion",
            "`algorithm=hmac-sha256` with the partner's public key as the HMAC secret",
            "401: rsa-sha256 only; " + EWP_REFUSED,
        ),
        ("ewp-date-skew", "`Date` six minutes old, and six minutes ahead", "400 each; " + EWP_REFUSED),
        (
            "ewp-digest-mismatch",
            "the body changed after signing (another `omobility_id` added)",
            "400: body does not match the digest; " + EWP_REFUSED,
        ),
        (
            "ewp-target-changed",
            "the query changed after signing (another `omobility_id` in a GET)",
            "400: the signature does not match; " + EWP_REFUSED,
        ),
        ("ewp-host-mismatch", "a request signed for another server's `Host`", "400; " + EWP_REFUSED),
        ("ewp-replayed-request", "a captured signed request sent again", "the first 200, the copy 400"),
        (
            "ewp-replayed-to-another-worker",
            "a captured signed request sent again to another worker process of the same EMP",
            "the first 200, the copy 400 (the request ids are in the database every worker shares)",
        ),
        (
            "ewp-institution-not-covered",
            "validly signed by a partner that does not cover the mobility's sending institution",
            "200 with the transcript left out, exactly as for an unknown id; the index lists nothing",
        ),
        (
            "ewp-not-approved",
            "the sending institution asks for a transcript not yet approved",
            "200 with the transcript left out",
        ),
        (
            "ewp-oversized-request",
            "a 1 MB body, with and without `Content-Length`",
            "413 before any signature work; " + EWP_REFUSED,
        ),
        ("ewp-too-many-ids", "one `omobility_id` more than `<max-omobility-ids>`", "400; " + EWP_REFUSED),
        (
            "ewp-huge-authorization",
            "an `Authorization` header of 100 000 characters",
            "400 before any key is looked up; " + EWP_REFUSED,
        ),
        (
            "ewp-wrong-student-transcript",
            "our own transcript source yields an ELMO whose `esi` is another student's",
            "500; the record is not served",
        ),
        (
            "ewp-response-forged",
            "a partner's answer signed with another host's key, unsigned, or with its body changed",
            "the client refuses (`ResponseNotTrusted`); no transcript returned",
        ),
        (
            "ewp-response-other-mobility",
            "a partner's answer carrying a mobility that was not asked for",
            "the client drops it; it is never filed under another mobility",
        ),
    )
    + _cases(
        "wallet",
        (
            "wallet-alg-none",
            "a credential whose issuer JWT says `alg: none` and carries no signature",
            "`SignatureRefused`: unsigned; the verifier answers 400 and records the request as refused",
        ),
        (
            "wallet-alg-hmac-with-public-key",
            "`alg: HS256` keyed with the issuer certificate's public key (algorithm confusion)",
            "`SignatureRefused` before any key is tried",
        ),
        (
            "wallet-wrong-typ",
            "the issuer JWT re-signed with `typ: vc+sd-jwt`",
            "`WrongType` naming both types",
        ),
        ("wallet-disclosure-twice", "one disclosure given twice in a presentation", "`DisclosureRefused`"),
        (
            "wallet-disclosure-unreferenced",
            "a well-formed disclosure (a better grade) the signed credential does not reference",
            "`DisclosureRefused`: not referenced",
        ),
        (
            "wallet-duplicate-member",
            "`iss` given twice in the signed payload (parsers disagree which counts)",
            "`Unreadable`: a member appears twice",
        ),
        (
            "wallet-kb-replayed-nonce",
            "a presentation made for an earlier request, posted to a new one",
            "400 `invalid_request` (wrong nonce: a replay?); the request is recorded as refused",
        ),
        (
            "wallet-kb-wrong-aud",
            "a key binding made for another verifier (`aud`)",
            "400 `invalid_request`: made for another audience; refused",
        ),
        (
            "wallet-kb-missing",
            "a presentation without its key-binding JWT (someone else's copy)",
            "`KeyBindingRefused`: the holder's key is not proven",
        ),
        ("wallet-expired", "a credential past its `exp`", "`CredentialExpired` with the date"),
        (
            "wallet-revoked",
            "a credential the issuer revoked in its status list (the transfer was deleted)",
            "`CredentialRevoked`; the verifier records the request as refused",
        ),
        (
            "wallet-untrusted-x5c",
            "an x5c chain from a self-made CA with the same names as the trusted one",
            "`UntrustedIssuer`: does not chain to a configured trust anchor",
        ),
        (
            "wallet-oversized-presentation",
            "a VP response larger than the verifier's limit, and a 9 MB presentation to the library",
            "413/400 before decrypting or parsing; the request stays open; `TooLarge`",
        ),
        (
            "wallet-stranger-spoils-request",
            "a stranger posts garbage and a foreign `state` to a pending request's response URI",
            "400; the request stays pending for the real wallet",
        ),
        (
            "wallet-status-list-bomb",
            "a status list that inflates to 100 MB",
            "`StatusUnavailable` after at most 2 MB inflated",
        ),
        (
            "wallet-proof-wrong-nonce",
            "a key proof with a nonce the issuer never gave (and one used already)",
            "400 `invalid_nonce`; nothing issued, the access token still usable",
        ),
        (
            "wallet-proof-other-issuer",
            "a key proof made for another credential issuer (`aud`), or an hour old",
            "400 `invalid_proof`; nothing issued",
        ),
        (
            "wallet-code-used-twice",
            "the pre-authorized code redeemed a second time",
            "400 `invalid_grant`; the offer is locked and the first access token no longer works",
        ),
        (
            "wallet-tx-code-guessing",
            "transaction codes guessed in parallel threads",
            "every wrong guess counts; the fifth locks the offer, even the right code is then refused",
        ),
        (
            "wallet-credential-without-token",
            "the credential endpoint without, with a forged, and with an expired access token",
            "401 `invalid_token` with `WWW-Authenticate`; nothing issued",
        ),
        (
            "emc-wallet-replayed-answer",
            "an EMC import answer captured and posted again to the student's next request (old nonce)",
            "400 `invalid_request` (wrong nonce); that request is refused, no second transfer stored",
        ),
        (
            "emc-wallet-wrong-aud",
            "a presentation to the EMC whose key binding names another verifier (`aud`)",
            "400 `invalid_request`; the student's page says why; no transfer stored",
        ),
        (
            "emc-wallet-untrusted-issuer",
            "a credential of an issuer outside `[emc.wallet_import].trust` presented to the EMC",
            "400 `invalid_request`: no configured trust anchor; the page says why; no transfer stored",
        ),
        (
            "emc-wallet-other-students-request",
            "another logged-in student opens a student's wallet request page or same-device redirect",
            "404 page (someone else's request); no link, no transfer shown; nothing stored",
        ),
        (
            "emc-wallet-forged-start",
            "a cross-site post to `/wallet-import/start` without or with a wrong CSRF token",
            "403 page; no request stored",
        ),
        (
            "emc-wallet-plain-elm-policy-off",
            "a credential without its data provider's signed ELMO (plain ELM) from a trusted issuer, while "
            "`accept_without_signed_elmo` is off",
            "the student's page says the credential carries no signed original ELMO; the request is refused, "
            "no transfer stored",
        ),
        (
            "emc-wallet-plain-elm-untrusted",
            "a plain ELM credential of an issuer outside `[emc.wallet_import].trust`, with the policy on",
            "400 `invalid_request`: no configured trust anchor; the page says why; no transfer stored",
        ),
        (
            "emc-wallet-plain-elm-unconvertible",
            "a plain ELM credential crafted so the ELM → ELMO converter refuses it (no awarding body), "
            "with the policy on",
            "the page says in one line why it cannot be converted; the request is refused, "
            "no transfer stored",
        ),
        (
            "emc-wallet-plain-elm-someone-else",
            "a plain ELM credential about another person presented by a logged-in student, "
            "with the policy on",
            'the identity check refuses it ("belong to someone else"); no transfer stored',
        ),
    )
    + _cases(
        "EMC pages",
        (
            "emc-wallet-other-students-transfer",
            'a student opens "Add to my wallet" of another student\'s transfer and posts its form',
            "404 pages, as for a missing transfer; no offer stored",
        ),
        (
            "emc-wallet-offer-csrf",
            'the "Add to my wallet" form posted without and with a forged `csrf_token`',
            "403; no offer stored",
        ),
        (
            "emc-wallet-not-imported",
            "an offer asked for results not imported (waiting for the student's decision)",
            "409 page: only imported results can be added; no offer stored",
        ),
        (
            "emc-wallet-course-choice",
            "ticked courses that are none, out of range, negative, not numbers, or more than listed",
            "409 page: choose at least one of the listed courses; no offer stored",
        ),
        (
            "emc-wallet-revoke-as-student",
            "a student posts the staff action that revokes a transfer's wallet credentials",
            "403 page; nothing revoked",
        ),
    )
    + _cases(
        "wallet",
        (
            "emc-wallet-code-used-twice-workers",
            "the EMC's pre-authorized code redeemed twice, the second time at another worker (another app "
            "on the same database)",
            "400 `invalid_grant`; the offer is locked and the first access token gets no credential",
        ),
        (
            "emc-wallet-tx-code-guessing-workers",
            "transaction codes of an EMC offer guessed at two workers in turn",
            "every wrong guess counts across workers; the fifth locks the offer, the right code is then "
            "refused",
        ),
        (
            "emc-wallet-offer-after-revoke",
            "an offer shown before staff revoked the transfer's credentials, redeemed afterwards",
            "400 `invalid_grant` (locked); nothing issued",
        ),
    )
    + _cases(
        "EMP pages",
        (
            "emp-export-without-login",
            "a post to the EMP's `/export` (a download or a wallet offer) with a valid CSRF token but nobody "
            "logged in",
            "303 to `/export`, which asks to log in; no document made, nothing stored or counted",
        ),
        (
            "emp-export-csrf",
            "the export form posted cross-site, without and with a forged `csrf_token`",
            FORGED_POST,
        ),
        (
            "emp-export-another-students-results",
            "a logged-in student (or one without records) posts the result keys another student's page "
            "lists, unknown keys, 900 or 20 000 keys",
            "only the logged-in person's results are read; keys not theirs are dropped: 400 page (tick at "
            "least one result) or 404 (no records); past the form's field limit 403; nothing stored",
        ),
        (
            "emp-export-unknown-format",
            "an export `action` that is unknown, or a sealed EDC or wallet offer from an EMP without "
            "`[seal]` / `[wallet]`",
            "400 page: this export is not offered here; nothing stored or counted",
        ),
        (
            "emp-wallet-revoke-as-student",
            "a student posts the EMP staff form that revokes a student's wallet credentials",
            "403 page; nothing revoked",
        ),
    )
    + _cases(
        "wallet",
        (
            "emp-wallet-code-used-twice-workers",
            "the EMP's pre-authorized code redeemed twice, the second time at another worker (another app on "
            "the same database)",
            "400 `invalid_grant`; the offer is locked and the first access token gets no credential",
        ),
        (
            "emp-wallet-tx-code-guessing",
            "transaction codes of an EMP export offer guessed at two workers in turn",
            "every wrong guess counts; the fifth locks the offer, the right code is then refused",
        ),
        (
            "emp-wallet-offer-after-revoke",
            "an EMP export offer shown before staff revoked the student's credentials, redeemed afterwards",
            "400 `invalid_grant` (locked); nothing issued",
        ),
    )
    + _cases(
        "ELM/EDC library",
        (
            "elm-remote-context",
            "an `@context` naming a remote URL beside the EDC contexts",
            "`RemoteContextRefused` naming the URL; nothing fetched",
        ),
        (
            "elm-nested-remote-context",
            "a remote `@context` inside the credential subject",
            "`RemoteContextRefused` naming the URL; nothing fetched",
        ),
        ("elm-json-too-deep", "JSON nested 50 000 levels", "`ElmParseError`: nests deeper than the limit"),
        (
            "elm-json-duplicate-member",
            "`credentialSubject` given twice",
            "`ElmParseError`: a member given twice",
        ),
        ("elm-json-too-large", "a credential over the size limit", "`InputTooLarge` before parsing"),
        ("elm-json-nan", "`NaN` and `Infinity` as numbers", "`ElmParseError`: not a JSON number"),
        (
            "elm-haspart-cycle",
            "a claim whose `hasPart` refers to itself by id",
            "`ConversionRefused`: the tree is deeper than its bound; no recursion error",
        ),
        (
            "elm-converted-original-altered",
            "a Converted credential whose embedded ELMO was altered after signing",
            "the original is extracted as it is and its XML signature is refused (`SignatureInvalid`)",
        ),
        (
            "elm-evidence-not-base64",
            "the embedded original is not base64",
            "`ElmParseError`: the embedded original is not valid base64",
        ),
    )
    + _cases(
        "ELM converter service",
        (
            "elm-service-oversized",
            "a request body over the limit",
            "413 with the protocol's error JSON, body not read",
        ),
        ("elm-service-duplicate-member", "`Content` given twice", "400 with the protocol's error JSON"),
        (
            "elm-service-remote-context",
            "an ELM document with a remote `@context` to convert",
            "500 (the converter's application error) naming the context; nothing fetched",
        ),
    )
    + _cases(
        "EMC pages",
        (
            "emc-recognition-csrf-new-forms",
            "every POST route of credit recognition (student, officer, the upload), enumerated, without and "
            "with a forged `csrf_token`",
            FORGED_POST,
        ),
        (
            "emc-recognition-other-students-case",
            "another student opens, downloads from, changes, submits, withdraws and deletes someone's case, "
            "and uploads to it",
            "404 pages, changes included (as for a missing case); nothing shown or changed",
        ),
        (
            "emc-recognition-staff-steps-as-student",
            "a student posts every officer's step (request information, expert, statement, decide, register) "
            "on their own case and opens the queue",
            "403 pages; the case unchanged",
        ),
        (
            "emc-recognition-decision-without-reason",
            "a refusal or partial grant with a blank or whitespace reason; partly granted with no, zero or "
            "all of the credits; an unknown outcome",
            "400 page naming the rule; the case still waits for its decision",
        ),
        (
            "emc-recognition-stale-version",
            "an officer's decision sent from a page opened before another officer changed the case",
            "409 page naming who changed it and how; nothing of the stale form kept",
        ),
        (
            "emc-recognition-oversized-attachment",
            "an upload one byte over the attachment limit, and one far over it (its size declared)",
            "413 page, the second before the body is read; nothing stored",
        ),
        (
            "emc-recognition-not-a-pdf",
            "an HTML page with a script named `.pdf` and sent as `application/pdf`; garbage behind a PDF "
            "header; a truncated PDF; an encrypted PDF",
            "400 page saying what is wrong; nothing stored; no file served",
        ),
        (
            "emc-recognition-forged-basis",
            "a case started from another student's credential, an unknown source, a failed result, a "
            "30-digit id",
            "400 page; no case",
        ),
        (
            "emc-recognition-markup-everywhere",
            "script and HTML in the motivation, an answer, the expert statement, a reason, a file name and a "
            "target's description",
            "stored as text; escaped on the student's and officers' pages; plain text in the decision PDF",
        ),
        (
            "emc-recognition-wrongly-typed-fields",
            "`version` and item ids that are not numbers, case ids of 30 digits, `NUL` in the search",
            "400 or 404 page, no traceback; nothing changed",
        ),
    )
    + _cases(
        "SIS API",
        (
            "api-recognition-no-token",
            "the recognition cases and a decision PDF without a token, and with a wrong one",
            "401 JSON",
        ),
        (
            "api-recognition-drafts-hidden",
            "a student's draft asked for by id, in a list, and as a decision document",
            "404 JSON; lists leave drafts out",
        ),
        ("api-recognition-bad-language", "`language=../../etc/passwd` for a decision", "422 JSON"),
    )
    + _cases(
        "JSON import",
        (
            "catalogue-bombs",
            "a course catalogue nested 100 000 deep, with a 5000-digit number, `NaN`, a member given twice",
            "`CatalogueError` with one line; nothing stored",
        ),
        (
            "catalogue-hostile-values",
            "a code with spaces and markup, NUL in a title, a plain-HTTP URL, a code given twice, 0 credits",
            "`CatalogueError` naming each JSON path; the stored catalogue unchanged; CLI exit 1",
        ),
    )
    + _cases(
        "HTTP server",
        (
            "server-idle-connection",
            "a connection that sends nothing (real sockets against uvicorn running the EMP)",
            FOUND + "closed after the header timeout (10 s; 1 s in the test) with one log line",
        ),
        (
            "server-slow-headers",
            "request headers sent one byte at a time (slowloris)",
            FOUND + "closed when the headers are not complete within the header timeout; one log line",
        ),
        (
            "server-stalled-body",
            "a POST whose body stops coming after its first bytes",
            FOUND + "closed after the read timeout (30 s; 1 s in the test); the app sees the client gone; "
            "one log line",
        ),
        (
            "server-trickled-body",
            "a POST body trickled a byte at a time, each within the read timeout",
            FOUND + "closed when the whole body has taken longer than the body timeout (300 s; 2.5 s in the "
            "test); one log line",
        ),
        (
            "server-huge-headers",
            "a request whose headers pass 16 KB: many at once, or one header sent in pieces without end",
            FOUND + "400 and the connection closed before the app sees the request; the parser never holds "
            "more than one read past 16 KB (uvicorn's httptools protocol, our default since issue 19, has no "
            "limit of its own; h11 cut off a head in pieces but took 40 KB of headers in one read)",
        ),
        (
            "server-upload-cut-off",
            "a client that disconnects in the middle of a 1 MB upload to the entry",
            FOUND + "one log line (a 56-line traceback at ERROR before); nothing stored",
        ),
    )
    + _cases(
        "SAML login",
        (
            "saml-forged-signature",
            "an assertion signed by another key (its certificate in `KeyInfo`)",
            SAML_REFUSED,
        ),
        ("saml-unsigned-assertion", "an answer whose assertion carries no signature", SAML_REFUSED),
        ("saml-changed-after-signing", "a genuine signed assertion with the user name changed", SAML_REFUSED),
        ("saml-expired", "signed by the real key, but an hour old (`NotOnOrAfter` passed)", SAML_REFUSED),
        ("saml-replayed", "a genuine answer posted a second time", SAML_REFUSED + " (used already)"),
        (
            "saml-assertion-id-reused",
            "a new answer for a new login whose assertion ID was used before",
            SAML_REFUSED + " (the replay table, which every worker shares)",
        ),
        ("saml-wrong-audience", "signed by the real key for another service's audience", SAML_REFUSED),
        (
            "saml-no-audience",
            "signed by the real key without any `AudienceRestriction` (pysaml2 alone accepts it)",
            SAML_REFUSED,
        ),
        (
            "saml-wrong-recipient",
            "signed by the real key with another `Recipient` (pysaml2 skips this check unless told)",
            SAML_REFUSED,
        ),
        (
            "saml-other-request",
            "the Response names this browser's second login, the assertion its first (`InResponseTo`)",
            SAML_REFUSED,
        ),
        (
            "saml-other-request-encrypted",
            "the same with an encrypted assertion (pysaml2 compares only the Response's `InResponseTo`)",
            SAML_REFUSED,
        ),
        ("saml-unsolicited", "an answer to no request (IdP-initiated, no `InResponseTo`)", SAML_REFUSED),
        ("saml-sha1", "signed by the real key with RSA-SHA1 and a SHA-1 digest", SAML_REFUSED),
        (
            "saml-xsw-extra-assertion",
            "signature wrapping: the genuine signed assertion hidden in `Extensions`, a forged one in its "
            "place",
            SAML_REFUSED,
        ),
        (
            "saml-xsw-duplicate-id",
            "signature wrapping: a forged assertion with the genuine one's ID, the genuine one in its "
            "`Advice`",
            SAML_REFUSED,
        ),
        (
            "saml-xsw-signature-moved",
            "signature wrapping: the genuine signature moved into a forged assertion, the genuine one in a "
            "`ds:Object`",
            SAML_REFUSED,
        ),
        ("saml-dtd-entity", "a `SAMLResponse` with a DOCTYPE and an internal entity", SAML_REFUSED),
        ("saml-xxe", "a `SAMLResponse` with an external entity (`file:///etc/passwd`)", SAML_REFUSED),
        (
            "saml-oversized",
            "a 1.6 MB `SAMLResponse`, and a body announced as 2 MB",
            "400 page before any XML is parsed (bounded at `max_response_kb`); nothing stored",
        ),
        (
            "saml-namespace-flood",
            "2000 namespace declarations on the Response and 1000 attribute values, within the size "
            "limit (libxml2's inclusive C14N is quadratic in them; only exclusive C14N is accepted: a "
            "second guard)",
            "400 page at once, before pysaml2 or xmlsec1 run; nothing stored",
        ),
        (
            "saml-element-flood",
            "5000 attribute values, within the size limit (pysaml2 alone took 0.8 s for 5500)",
            "400 page at once, before pysaml2 or xmlsec1 run; nothing stored",
        ),
        (
            "saml-done-other-browser",
            "another browser opens the URL that finishes a login after the ACS",
            "400 page; nobody logged in there; the answer stays for the browser that started the login",
        ),
        (
            "saml-logout-forged",
            "a LogoutResponse whose Redirect-binding signature is made with another key",
            "400 page; nothing stored",
        ),
        (
            "saml-csrf-every-form",
            "every POST route of an app with SAML login, logged in, without and with a forged `csrf_token`",
            FORGED_POST + "; only `/login/saml/acs` takes cross-site posts (and logs nobody in by itself)",
        ),
        (
            "saml-metadata-unsigned",
            "identity-provider metadata from a URL without a signature",
            "refused with a one-line reason; the last good metadata stays in use",
        ),
        (
            "saml-metadata-wrong-signer",
            "metadata signed by another key than the configured federation certificate",
            "refused with a one-line reason; the last good metadata stays in use",
        ),
        (
            "saml-metadata-wrapped",
            "the genuine signed entity inside an unsigned aggregate that adds a forged identity provider",
            "refused: only a signature on the document's root counts",
        ),
    )
)


def cases_of(entry: str) -> list[Case]:
    return [case for case in CASES if case.entry == entry]


def markdown_table() -> str:
    counts = ", ".join(f"{entry} {len(cases_of(entry))}" for entry in ENTRY_POINTS)
    found = sum(1 for case in CASES if case.expected.startswith(FOUND))
    lines = [
        f"{len(CASES)} cases ({counts}); {found} of them found weaknesses that are now fixed.",
        "",
        "| id | entry point | attack | expected outcome |",
        "|---|---|---|---|",
    ]
    for entry in ENTRY_POINTS:
        for case in cases_of(entry):
            cells = (f"`{case.id}`", case.entry, case.attack, case.expected)
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
