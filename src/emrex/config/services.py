"""The settings of each service, once: kinds, defaults, a one-line doc each, secrets marked.

The typed settings classes are built from these by their services (``EmpSettings``, ``EmcSettings``,
``LoginSettings``, the registry's ``ServerConfig``), which also check what one value says about another.
"""

from __future__ import annotations

from emrex.config.schema import Service, Setting, Table

S = Setting

_OIDC = Table(
    "OpenID Connect login",
    {
        "issuer": S("url", "the provider's issuer URL"),
        "client_id": S("text", "this service's client id at the provider"),
        "client_secret": S("text", "this service's client secret", "", secret=True),
        "discovery_url": S(
            "url", "the discovery document (default: <issuer>/.well-known/openid-configuration)", ""
        ),
        "scopes": S("list", "scopes asked for; must include openid", ["openid", "profile", "email"]),
        "redirect_uri": S("url", "the callback address (default: <base_url>/login/callback)", ""),
        "claims": Table("which claim gives each person attribute", free=True),
        "birth_date_format": S("text", "strptime format of the birth date claim", "%Y-%m-%d"),
        "identifiers": Table("identifier type -> claim", free=True),
        "timeout_seconds": S("int", "how long a call to the provider may take", 10),
    },
    optional=True,
)
_HEADERS = Table(
    "login by trusted headers from a SAML service provider in front",
    {
        "trusted_proxies": S("list", "addresses or networks whose headers are believed"),
        "attributes": Table("which header gives each person attribute", free=True),
        "birth_date_format": S("text", "strptime format of the birth date header", "%Y%m%d"),
        "identifiers": Table("identifier type -> header", free=True),
        "required": S("list", "attributes a login must have", ["subject", "given_names", "family_name"]),
        "separator": S("text", "between several values in one header", ";"),
    },
    optional=True,
)
_SAML = Table(
    "native SAML 2.0 login",
    {
        "entity_id": S("text", "this service provider's entity id (a URL or urn:)"),
        "base_url": S("url", "this service's public address (default: the service's base_url)"),
        "key_file": S("path", "the SP's signing key (PEM)"),
        "certificate_file": S("path", "the SP's certificate (PEM)"),
        "idp_metadata": S("text", "the identity provider's or federation's metadata: a file or an https URL"),
        "idp_metadata_certificate": S("path", "the certificate that signs the metadata", ""),
        "allow_unsigned_metadata": S("bool", "accept unsigned metadata (development only)", False),
        "idp_entity_id": S(
            "text", "the identity provider to use (default: the only one in the metadata)", ""
        ),
        "encryption_key_file": S("path", "key for encrypted assertions (default: the signing key)", ""),
        "encryption_certificate_file": S("path", "its certificate", ""),
        "require_encrypted_assertions": S("bool", "refuse assertions that are not encrypted", False),
        "want_response_signed": S("bool", "the whole response must be signed", False),
        "attributes": Table("which attribute gives each person attribute", free=True),
        "identifiers": Table("identifier type -> attribute", free=True),
        "required": S("list", "attributes a login must have", ["subject", "given_names", "family_name"]),
        "birth_date_format": S("text", "strptime format of the birth date attribute", "%Y%m%d"),
        "clock_skew_seconds": S("int", "tolerated clock difference to the IdP (at most 300)", 60),
        "metadata_refresh_minutes": S("int", "how often metadata from a URL is read again", 60),
        "metadata_timeout_seconds": S("int", "how long fetching the metadata may take", 10),
        "max_metadata_mb": S("int", "largest metadata accepted", 50),
        "max_response_kb": S("int", "largest SAML response accepted", 256),
        "name_id_format": S(
            "text", "the NameID format asked for", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
        ),
        "entity_categories": S("list", "entity categories claimed in the SP metadata", []),
        "organization_name": S("text", "in the SP metadata", ""),
        "organization_url": S("url", "in the SP metadata", ""),
        "privacy_statement_url": S("url", "mdui:PrivacyStatementURL in the SP metadata", ""),
        "information_url": S("url", "mdui:InformationURL in the SP metadata", ""),
        "technical_contact": S("text", "e-mail address in the SP metadata", ""),
        "support_contact": S("text", "e-mail address in the SP metadata", ""),
        "security_contact": S("text", "REFEDS security contact e-mail", ""),
        "xmlsec_binary": S("text", "the xmlsec1 program (default: found on PATH)", ""),
    },
    optional=True,
)
_ACCOUNT = Table(
    "a demo account",
    {
        "username": S("text", "the login name"),
        "password_hash": S("text", "made with 'emrex login hash-password'", secret=True),
        "given_names": S("text", "given names"),
        "family_name": S("text", "family name"),
        "birth_date": S("text", "YYYY-MM-DD", ""),
        "email": S("text", "e-mail address", ""),
        "identifiers": Table("identifier type -> value", free=True),
        "roles": S("list", "student, staff, admin", ["student"]),
    },
    many=True,
)
_RATE_LIMIT = Table(
    "login attempts and page requests per client",
    {
        "max_attempts_per_user": S("int", "failed logins per user in the window", 5),
        "max_attempts_per_address": S("int", "failed logins per address in the window", 20),
        "window_seconds": S("int", "the window of failed logins", 300),
        "requests_per_minute": S("int", "login and entry requests per address and minute (0: off)", 60),
    },
)
LOGIN = Table(
    "how people log in",
    {
        "method": S("text", "oidc, headers, saml or demo"),
        "production": S("bool", "refuse demo accounts and development shortcuts", True),
        "oidc": _OIDC,
        "headers": _HEADERS,
        "saml": _SAML,
        "demo": Table("demo accounts (never in production)", {"accounts": _ACCOUNT}, optional=True),
        "role_rules": Table(
            "grant a role when a claim has one of some values",
            {
                "role": S("text", "the role"),
                "source": S("text", "the claim"),
                "values": S("list", "its values"),
            },
            many=True,
        ),
        "default_roles": S("list", "roles every person has", ["student"]),
        "subject_roles": Table("role -> subjects granted it", free=True),
        "rate_limit": _RATE_LIMIT,
        "logout_url": S("text", "where /logout sends the browser", "/"),
    },
)
_TIMEOUTS = {
    "header_timeout_seconds": S("float", "a request's headers must be complete within this", 10.0),
    "read_timeout_seconds": S("float", "no read of a request body may wait longer", 30.0),
    "body_timeout_seconds": S("float", "the whole body must arrive within this", 300.0),
}


def _edc_seal(doc: str) -> Table:
    """An organisation's seal over European Digital Credentials (emrex.elm.edc_seal)."""
    return Table(
        doc,
        {
            "key_file": S("path", "the seal key (PEM)"),
            "cert_file": S("path", "the seal certificate (PEM), then any CA certificates"),
            "issuer_name": S("text", "the legal name the credential gives its issuer"),
            "issuer_country": S("text", "the issuer's country (ISO 3166 two letters)"),
            "issuer_id": S("text", "the eIDAS identifier: the certificate's organizationIdentifier"),
        },
        optional=True,
    )


def _wallet_issuer(doc: str, *, web_wallet: bool = False) -> Table:
    """A service as an OpenID4VCI credential issuer (emrex.web.wallet_issuing)."""
    settings = {
        "key_file": S("path", "the key that signs wallet credentials (PEM, EC P-256 or RSA)"),
        "cert_file": S("path", "its certificate (PEM; O, C, organizationIdentifier), then CAs"),
        "name": S("text", "the issuer's name shown in wallets (default: the service's name)", ""),
    }
    if web_wallet:
        settings["web_wallet_url"] = S(
            "url", "a web wallet's credential offer endpoint: the offer page links there too", ""
        )
    return Table(doc, settings, optional=True)


def _look(where: str) -> Table:
    """An institution's look on the pages (emrex.web.look, docs/DESIGN.md)."""
    return Table(
        f"the institution's name, logo, colours and local texts on the pages ({where})",
        {
            "name": S("text", "the institution's name in the page header (empty: the title only)", ""),
            "logo": S("path", "a PNG, JPEG, WebP or SVG file shown beside it (at most 512 KB)", ""),
            "accent": S("text", "buttons, links, step guide: #rrggbb, white text on it 4.5:1 or more", ""),
            "header": S("text", "the header's background (default: the accent), the same rule", ""),
            "texts": Table(
                'local texts: <page> = "text", or <page> = { en = "…", sv = "…", default = "…" }',
                free=True,
            ),
        },
    )


EMP = Service(
    "emp",
    Table(
        "the data provider",
        {
            "name": S("text", "the service's name on its pages", "EMREX data provider"),
            "base_url": S("url", "the public root URL, like https://emp.uni.example"),
            "entry_path": S("text", "where EMREX clients send students", "/emrex"),
            "production": S("bool", "false only on a development or demo network", True),
            "database_url": S("text", "SQLAlchemy URL of the EMP's database", "sqlite:///emrex-emp.db"),
            "key_file": S("path", "the signing key (PEM)"),
            "certificate_file": S("path", "the signing certificate (PEM), as in the registry"),
            "key_password": S("text", "the signing key's password", "", secret=True),
            "institutions": S("list", "SCHAC codes of the institutions served", []),
            "languages": S("list", "page languages", ["en", "sv", "fi", "nb", "da"]),
            "default_language": S("text", "the language when the browser names none of them", "en"),
            "session_minutes": S("int", "how long a student's session lasts", 30),
            "dev_http_hosts": S("list", "plain-http hosts allowed outside production", []),
            "client_hosts": S("list", "EMREX clients allowed (empty: any)", []),
            "client_names": Table(
                "the clients' names on the pages, by the host (or host:port) of their returnUrl",
                free=True,
                optional=True,
            ),
            "whole_programme_only": S("bool", "results are sent for whole programmes only", False),
            "seal_transcript": S("bool", "a PAdES seal on the PDF transcript", False),
            "results_cache_minutes": S("int", "how long a session's results are kept in memory (0: off)", 10),
            "timezone": S("text", "the time zone of dates on pages and transcripts", "UTC"),
            "server": Table(
                "the web server",
                {
                    "host": S("text", "address to listen on", "127.0.0.1"),
                    "port": S("int", "port to listen on", 8000),
                    "workers": S("int", "worker processes", 1),
                    **_TIMEOUTS,
                },
            ),
            "source": Table(
                "the results source: type = sql, rest or virta, and its settings",
                free=True,
                secrets=("token", "key", "headers"),
            ),
            "login": LOGIN,
            "ewp": Table(
                "serving transcripts over EWP (docs/EWP.md); its keys are checked by emp.ewp_settings",
                free=True,
                optional=True,
            ),
            "oots": Table(
                "an OOTS evidence provider (docs/OOTS.md); its keys are checked by emp.oots_settings",
                free=True,
                optional=True,
            ),
            "seal": _edc_seal(
                "the EDC seal: OOTS evidence and exports get a sealed European Digital Credential"
            ),
            "wallet": _wallet_issuer("the EMP as an OpenID4VCI issuer: exports to a wallet (docs/EMP.md)"),
            "look": _look("[look]"),
        },
    ),
)

EMC = Service(
    "emc",
    Table(
        "the EMREX client",
        {
            "base_url": S("url", "the public root URL, like https://emc.uni.example"),
            "database_url": S("text", "SQLAlchemy URL of the EMC's database"),
            "languages": S("list", "page languages", ["en", "sv", "fi", "nb", "da"]),
            "default_language": S(
                "text", "the language when the browser names none (default: the first)", ""
            ),
            "dev_http_hosts": S("list", "plain-http hosts allowed (development)", []),
            "transfer_minutes": S("int", "how long a transfer may wait for its data provider", 60),
            "host": S("text", "address to listen on", "127.0.0.1"),
            "port": S("int", "port to listen on", 8000),
            "title": S("text", "the service's name on its pages", "EMREX"),
            "registry": Table(
                "where the list of data providers comes from",
                {
                    "sources": S("list", "registry URLs or files, relative to the configuration file"),
                    "cache_dir": S("path", "where fetched registries are kept (empty: memory only)", ""),
                    "max_age_minutes": S("int", "how long a fetched registry is used", 60),
                    "timeout_seconds": S("float", "how long fetching it may take", 10.0),
                },
            ),
            "verification": Table(
                "how results are verified",
                {
                    "sha1": S("text", "allow or reject SHA-1 signatures", "allow"),
                    "clock_skew_minutes": S("int", "how much older than its transfer a document may be", 5),
                    "seal_trust": S("list", "CA certificates /verify accepts seals up to (PEM files)", []),
                },
            ),
            "seal": _edc_seal("the EMC's own seal for European Digital Credentials (docs/EMC.md)"),
            "wallet_import": Table(
                '"Import from my wallet": the EMC as an OpenID4VP verifier (docs/WALLET.md)',
                {
                    "key_file": S("path", "the key that signs presentation requests (PEM)"),
                    "cert_file": S(
                        "path", "its certificate (PEM, naming the EMC's host), then any CA certificates"
                    ),
                    "trust": S("list", "CA certificates of the credential issuers accepted (PEM files)", []),
                    "name": S("text", "the name wallets show for the EMC", ""),
                    "web_wallet_url": S(
                        "url", "a web wallet's authorization endpoint: the request page links there too", ""
                    ),
                    "accept_without_signed_elmo": S(
                        "bool",
                        "import plain ELM credentials (no data provider's signed ELMO), marked as vouched "
                        "for by the wallet issuer alone",
                        False,
                    ),
                },
                optional=True,
            ),
            "wallet": _wallet_issuer(
                "the EMC as an OpenID4VCI issuer: Add to my wallet (docs/WALLET.md)", web_wallet=True
            ),
            "identity": Table(
                "how the results' person is matched to the student",
                {
                    "tolerance": S("float", "name distance still accepted as a match", 0.1),
                    "review_tolerance": S("float", "name distance sent to staff review", 0.3),
                },
            ),
            "limits": Table(
                "sizes and counts",
                {
                    "max_post_mb": S("int", "largest EMREX answer posted", 24),
                    "max_decoded_mb": S("int", "largest decoded document", 16),
                    "max_ratio": S("int", "largest gzip expansion ratio", 200),
                    "max_elements": S("int", "most XML elements in a document", 200_000),
                    "max_concurrent_verifications": S("int", "verifications at once per process", 2),
                    "max_open_transfers": S("int", "open transfers per student", 5),
                },
            ),
            "api": Table("the SIS API", {"token_hashes": S("list", "sha256:<hex> of each API token", [])}),
            "webhook": Table(
                "the SIS is told of new results",
                {
                    "url": S("url", "where the notice is posted (https)"),
                    "secret": S("text", "signs each notice (16 characters or more)", secret=True),
                    "max_attempts": S("int", "deliveries tried", 8),
                    "backoff_seconds": S("float", "first wait between attempts", 30.0),
                    "timeout_seconds": S("float", "how long a delivery may take", 10.0),
                },
                optional=True,
            ),
            "retention": Table(
                "how long received documents are kept",
                {
                    "raw_days": S("int", "days a raw document is kept (0: until deleted)", 0),
                    "purge_at_start": S("bool", "purge old documents when the service starts", False),
                },
            ),
            "recognition": Table(
                "credit recognition",
                {
                    "case_prefix": S("text", "case numbers: <prefix>-YYYY-NNNNN", "CR"),
                    "institution": S("text", "named in decisions (default: the title)", ""),
                    "appeal_weeks": S("int", "time to appeal a refusal", 3),
                    "appeal_address": S("text", "where an appeal is sent", ""),
                    "legal_basis": S("text", "cited in decisions", ""),
                    "max_attachment_mb": S("int", "largest attachment", 10),
                },
            ),
            "ewp": Table(
                "fetching transcripts over EWP (docs/EWP.md)",
                {
                    "client_key": S("path", "our EWP client key (PEM), as the EWP registry lists it"),
                    "catalogue": S("text", "the EWP registry catalogue: a URL or a file"),
                    "timeout_seconds": S("float", "how long a partner may take to answer", 30.0),
                },
                optional=True,
            ),
            "server": Table("the web server's timeouts", dict(_TIMEOUTS)),
            "login": LOGIN,
            "look": _look("[emc.look]"),
        },
    ),
    file_table="emc",
    label="emc.",
)

REGISTRY = Service(
    "registry",
    Table(
        "our own registry server",
        {
            "host": S("text", "address to listen on", "127.0.0.1"),
            "port": S("int", "port to listen on", 8080),
            "countries": Table(
                "countries of EMPs (optional: added with their ISO name)",
                {
                    "code": S("text", "ISO 3166 two-letter code"),
                    "name": S("text", "the country's name", ""),
                    "singleFetch": S("bool", "one EMP per institution", False),
                },
                many=True,
            ),
            "emps": Table(
                "the data providers listed",
                {
                    "acronym": S("text", "short name"),
                    "country": S("text", "ISO 3166 two-letter code"),
                    "institutions": S("list", "SCHAC codes", []),
                    "url": S("url", "the EMP's entry URL"),
                    "certificates": S("list", "certificate files (PEM or DER), relative to the file"),
                },
                many=True,
            ),
            "ewp_manifests": S("list", "EWP Discovery manifests listed in the catalogue (files)", []),
        },
    ),
)
