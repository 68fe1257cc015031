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
    "HTTP server",
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
    )
    + _cases(
        "EMC return",
        ("emc-return-xxe", "ELMO with an external entity (`file:///etc/passwd`)", NOT_READABLE),
        ("emc-return-entity-expansion", "ELMO with nested entity expansion (billion laughs)", NOT_READABLE),
        ("emc-return-dtd", "ELMO with an external DTD", NOT_READABLE),
        ("emc-return-deep-nesting", "50 000 nested elements (plain base64, no gzip)", NOT_READABLE),
        ("emc-return-huge-attribute", "one attribute of 11 MB (incompressible)", NOT_READABLE),
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
    )
    + _cases(
        "library",
        (
            "lib-reader-parameter-entity",
            "a parameter entity loading a remote DTD",
            "`ElmoParseError`: DOCTYPE refused",
        ),
        ("lib-reader-control-character-reference", "`&#1;` in a name", "`ElmoParseError` with the line"),
        ("lib-reader-huge-text-node", "an 11 MB text node", "`ElmoParseError`: too long"),
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
            "server-upload-cut-off",
            "a client that disconnects in the middle of a 1 MB upload to the entry",
            FOUND + "one log line (a 56-line traceback at ERROR before); nothing stored",
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
