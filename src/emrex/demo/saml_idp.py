"""A demo SAML identity provider: pysaml2's ``Server`` behind a login form for the demo accounts.

It stands in for an institution's real identity provider (Shibboleth IdP, SimpleSAMLphp, ADFS) so
that the whole SAML round trip can be seen in a browser and tested: signed metadata (signed by a
"demo federation" key, as SWAMID or eduGAIN sign theirs), signed AuthnRequests checked, signed
assertions with the usual eduPerson/SCHAC attributes, single logout. Every page says that it is a
demo. It keeps its pending requests in memory and takes plain passwords: never use it for real.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import html
import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from emrex.errors import EmrexError
from emrex.trust.algorithms import EXC_C14N, RSA_SHA256, SHA256
from emrex.xml import DSIG_NS as DS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import saml2
    from saml2.config import IdPConfig
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_TRANSIENT, NameID
    from saml2.server import Server

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"  # noqa: S105
MAX_PENDING = 200
DEMO_NOTICE = (
    "Demo identity provider: it stands in for your institution's login. Never use it for real accounts."
)


class IdpError(EmrexError):
    """The demo identity provider cannot answer this request."""


@dataclass(frozen=True)
class IdpAccount:
    username: str
    password: str
    attributes: Mapping[str, Sequence[str]]  # friendly name -> values
    label: str = ""


@dataclass
class _Pending:
    request_id: str
    sp_entity_id: str
    acs_url: str
    relay_state: str
    created: float = field(default_factory=lambda: dt.datetime.now(dt.UTC).timestamp())


class IdentityProvider:
    """``server`` is pysaml2's IdP; it learns the service providers from ``sp_metadata()`` (texts)."""

    def __init__(
        self,
        *,
        entity_id: str,
        base_url: str,
        key_file: Path,
        certificate_file: Path,
        accounts: Sequence[IdpAccount],
        sp_metadata: Callable[[], Sequence[str]],
        metadata_key_file: Path | None = None,
        metadata_certificate_file: Path | None = None,
        xmlsec_binary: str = "",
        title: str = "Demo identity provider",
    ) -> None:
        self.entity_id = entity_id
        self.base_url = base_url.rstrip("/")
        self.key_file = key_file
        self.certificate_file = certificate_file
        self.accounts = {a.username: a for a in accounts}
        self.load_sp_metadata = sp_metadata
        self.metadata_key_file = metadata_key_file
        self.metadata_certificate_file = metadata_certificate_file
        found = shutil.which(xmlsec_binary or "xmlsec1")
        if found is None:
            raise IdpError("the demo identity provider needs the xmlsec1 program (apt-get install xmlsec1)")
        self.xmlsec = found
        self.title = title
        self._server: Server | None = None
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}

    # --- configuration and metadata ----------------------------------------------------------

    def config(self, sp_metadata: Sequence[str] = ()) -> IdPConfig:
        config = IdPConfig()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            config.load(
                {
                    "entityid": self.entity_id,
                    "key_file": str(self.key_file),
                    "cert_file": str(self.certificate_file),
                    "xmlsec_binary": self.xmlsec,
                    "signing_algorithm": RSA_SHA256,
                    "digest_algorithm": SHA256,
                    "metadata": {"inline": list(sp_metadata)} if sp_metadata else {},
                    "service": {
                        "idp": {
                            "endpoints": {
                                "single_sign_on_service": [
                                    (self.base_url + "/sso", saml2.BINDING_HTTP_REDIRECT),
                                    (self.base_url + "/sso", saml2.BINDING_HTTP_POST),
                                ],
                                "single_logout_service": [
                                    (self.base_url + "/slo", saml2.BINDING_HTTP_REDIRECT)
                                ],
                            },
                            "want_authn_requests_signed": True,
                            "sign_assertion": True,
                            "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                            "policy": {
                                "default": {
                                    "lifetime": {"minutes": 5},
                                    "attribute_restrictions": None,
                                    "name_form": NAME_FORMAT_URI,
                                }
                            },
                        }
                    },
                }
            )
        return config

    def metadata(self) -> bytes:
        """The identity provider's metadata, signed with the metadata key when one is configured."""
        from saml2.metadata import entity_descriptor

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            descriptor = entity_descriptor(self.config())
        root = etree.fromstring(str(descriptor).encode("utf-8"))
        # pysaml2 lists every algorithm xmlsec1 knows (SHA-1, MD5 among them); ours says SHA-2 only.
        extensions = root.find(f"{{{MD}}}Extensions")
        if extensions is not None:
            root.remove(extensions)
        valid_until = dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
        root.set("validUntil", valid_until.strftime("%Y-%m-%dT%H:%M:%SZ"))
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        if self.metadata_key_file is None or self.metadata_certificate_file is None:
            return data
        return sign_metadata(data, self.metadata_key_file, self.metadata_certificate_file, self.xmlsec)

    @property
    def server(self) -> Server:
        with self._lock:
            if self._server is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self._server = Server(config=self.config(self.load_sp_metadata()))
            return self._server

    def forget_service_providers(self) -> None:
        """Read the service providers' metadata again at the next request."""
        with self._lock:
            self._server = None

    # --- single sign-on ---------------------------------------------------------------------

    def read_request(self, binding: str, fields: Mapping[str, str]) -> str:
        """Check a signed AuthnRequest; returns a token for the login form that answers it."""
        if "SAMLRequest" not in fields:
            raise IdpError("no SAMLRequest: this address takes SAML authentication requests")
        try:
            parsed = self._parse(binding, fields)
        except Exception:
            # An unknown service provider: its metadata may be new.
            self.forget_service_providers()
            try:
                parsed = self._parse(binding, fields)
            except Exception as error:
                raise IdpError(f"the authentication request is refused ({type(error).__name__})") from None
        message = parsed.message
        sp_entity_id = message.issuer.text.strip()
        acs_url = message.assertion_consumer_service_url or self._acs(sp_entity_id)
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._pending[token] = _Pending(message.id, sp_entity_id, acs_url, fields.get("RelayState", ""))
            while len(self._pending) > MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
        return token

    def _parse(self, binding: str, fields: Mapping[str, str]) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return self.server.parse_authn_request(
                fields["SAMLRequest"],
                binding,
                relay_state=fields.get("RelayState"),
                sigalg=fields.get("SigAlg"),
                signature=fields.get("Signature"),
            )

    def _acs(self, sp_entity_id: str) -> str:
        found = self.server.metadata.assertion_consumer_service(sp_entity_id, saml2.BINDING_HTTP_POST)
        if not found:
            raise IdpError(f"{sp_entity_id} has no assertion consumer service for HTTP-POST")
        return str(found[0]["location"])

    def pending(self, token: str) -> _Pending | None:
        with self._lock:
            return self._pending.get(token)

    def authenticate(self, username: str, password: str) -> IdpAccount | None:
        account = self.accounts.get(username)
        expected = account.password if account else secrets.token_urlsafe(8)
        ok = hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
        return account if ok and account is not None else None

    def respond(self, token: str, account: IdpAccount, *, encrypt: bool = False) -> tuple[str, str, str]:
        """(ACS URL, SAMLResponse, RelayState) for the pending request ``token``, which is used up."""
        with self._lock:
            pending = self._pending.pop(token, None)
        if pending is None:
            raise IdpError("this login form was used already or has expired; start again at the service")
        response = self.authn_response(
            pending.request_id, pending.acs_url, pending.sp_entity_id, account, encrypt
        )
        encoded = base64.b64encode(response.encode("utf-8")).decode("ascii")
        return pending.acs_url, encoded, pending.relay_state

    def authn_response(
        self, request_id: str, acs_url: str, sp_entity_id: str, account: IdpAccount, encrypt: bool = False
    ) -> str:
        """A Response with one signed (and, if asked, encrypted) assertion, as XML text."""
        name_id = NameID(
            format=NAMEID_FORMAT_TRANSIENT,
            text=secrets.token_urlsafe(16),
            name_qualifier=self.entity_id,
            sp_name_qualifier=sp_entity_id,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            response = self.server.create_authn_response(
                {k: list(v) for k, v in account.attributes.items()},
                request_id,
                acs_url,
                sp_entity_id,
                name_id=name_id,
                authn={"class_ref": PASSWORD_CLASS, "authn_instant": None},
                sign_assertion=True,
                sign_response=False,
                encrypt_assertion=encrypt,
                encrypt_assertion_self_contained=True,
                sign_alg=RSA_SHA256,
                digest_alg=SHA256,
            )
        return str(response)

    # --- single logout ----------------------------------------------------------------------

    def logout(self, fields: Mapping[str, str], *, everywhere: bool = True) -> str:
        """The URL that takes the signed LogoutResponse back to the service provider (``everywhere``
        false: a partial logout, as when another service could not be logged out)."""
        if "SAMLRequest" not in fields:
            raise IdpError("no SAMLRequest: this address takes SAML logout requests")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                request = self.server.parse_logout_request(
                    fields["SAMLRequest"],
                    saml2.BINDING_HTTP_REDIRECT,
                    relay_state=fields.get("RelayState"),
                    sigalg=fields.get("SigAlg"),
                    signature=fields.get("Signature"),
                )
                response = self.server.create_logout_response(
                    request.message,
                    [saml2.BINDING_HTTP_REDIRECT],
                    status=None if everywhere else _partial(),
                    sign=False,
                )
                destination = self.server.metadata.single_logout_service(
                    request.message.issuer.text.strip(), saml2.BINDING_HTTP_REDIRECT, "spsso"
                )[0]["location"]
                info = self.server.apply_binding(
                    saml2.BINDING_HTTP_REDIRECT,
                    str(response),
                    destination,
                    fields.get("RelayState", ""),
                    response=True,
                    sign=True,
                    sigalg=RSA_SHA256,
                )
        except Exception as error:
            raise IdpError(f"the logout request is refused ({type(error).__name__})") from None
        return str(dict(info["headers"])["Location"])

    # --- the web app ------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/", self._home),
                Route("/health", lambda _r: PlainTextResponse("ok")),
                Route("/metadata", self._metadata),
                Route("/sso", self._sso, methods=["GET", "POST"]),
                Route("/login", self._login, methods=["POST"]),
                Route("/slo", self._slo),
            ]
        )

    async def _home(self, request: Request) -> Response:
        return _page(self.title, f"<p>{html.escape(DEMO_NOTICE)}</p><p><a href='/metadata'>Metadata</a></p>")

    async def _metadata(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        return Response(await run_in_threadpool(self.metadata), media_type="application/samlmetadata+xml")

    async def _sso(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        if request.method == "POST":
            form = await request.form()
            fields = {k: str(v) for k, v in form.items()}
            binding = saml2.BINDING_HTTP_POST
        else:
            fields = dict(request.query_params)
            binding = saml2.BINDING_HTTP_REDIRECT
        try:
            token = await run_in_threadpool(self.read_request, binding, fields)
        except IdpError as error:
            return _page(self.title, f"<p>{html.escape(str(error))}</p>", 400)
        return self._form(token)

    def _form(self, token: str, username: str = "", failed: bool = False) -> Response:
        pending = self.pending(token)
        service = html.escape(pending.sp_entity_id if pending else "")
        error = "<p class='error' role='alert'>Wrong username or password.</p>" if failed else ""
        names = ", ".join(html.escape(name) for name in self.accounts)
        body = f"""<p>{html.escape(DEMO_NOTICE)}</p>
<p>The service <strong>{service}</strong> asks who you are.</p>{error}
<form method="post" action="/login">
<input type="hidden" name="token" value="{html.escape(token)}">
<p><label for="username">Username</label><br>
<input id="username" name="username" autocomplete="username" value="{html.escape(username)}" required></p>
<p><label for="password">Password</label><br>
<input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Log in</button></p>
</form>
<p>Demo accounts: {names} (the password of each is on the demo's start page).</p>"""
        return _page(self.title, body, 401 if failed else 200)

    async def _login(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        form = await request.form()
        token, username, password = (str(form.get(k) or "")[:256] for k in ("token", "username", "password"))
        if self.pending(token) is None:
            return _page(self.title, "<p>This login form has expired; start again at the service.</p>", 400)
        account = self.authenticate(username, password)
        if account is None:
            return self._form(token, username, failed=True)
        try:
            acs, response, relay_state = await run_in_threadpool(self.respond, token, account)
        except IdpError as error:
            return _page(self.title, f"<p>{html.escape(str(error))}</p>", 400)
        fields = [("SAMLResponse", response)] + ([("RelayState", relay_state)] if relay_state else [])
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(value)}">' for name, value in fields
        )
        body = f"""<p>You are logged in at the demo identity provider. Continue to the service.</p>
<form method="post" action="{html.escape(acs)}" id="saml-post">{hidden}
<p><button type="submit">Continue</button></p></form>
<script>document.getElementById("saml-post").submit();</script>"""
        return _page(self.title, body)

    async def _slo(self, request: Request) -> Response:
        from starlette.concurrency import run_in_threadpool

        try:
            location = await run_in_threadpool(self.logout, dict(request.query_params))
        except IdpError as error:
            return _page(self.title, f"<p>{html.escape(str(error))}</p>", 400)
        return RedirectResponse(location, status_code=303)


def _partial() -> Any:
    from saml2 import samlp

    inner = samlp.StatusCode(value=samlp.STATUS_PARTIAL_LOGOUT)
    return samlp.Status(status_code=samlp.StatusCode(value=samlp.STATUS_RESPONDER, status_code=inner))


def sign_metadata(data: bytes, key_file: Path, certificate_file: Path, xmlsec: str = "xmlsec1") -> bytes:
    """``data`` (an EntityDescriptor or EntitiesDescriptor) with an enveloped RSA-SHA256 signature, the
    way federations sign their metadata."""
    root = etree.fromstring(data)
    if not root.get("ID"):
        root.set("ID", "_" + secrets.token_hex(16))
    certificate = "".join(
        line for line in certificate_file.read_text(encoding="ascii").splitlines() if "-----" not in line
    )
    signature = etree.fromstring(
        f"""<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>
<ds:CanonicalizationMethod Algorithm="{EXC_C14N}"/><ds:SignatureMethod Algorithm="{RSA_SHA256}"/>
<ds:Reference URI="#{root.get("ID")}"><ds:Transforms>
<ds:Transform Algorithm="{DS}enveloped-signature"/><ds:Transform Algorithm="{EXC_C14N}"/></ds:Transforms>
<ds:DigestMethod Algorithm="{SHA256}"/><ds:DigestValue/></ds:Reference></ds:SignedInfo>
<ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate>
</ds:X509Data></ds:KeyInfo></ds:Signature>"""
    )
    root.insert(0, signature)
    node = f"{MD}:{etree.QName(root).localname}"
    with tempfile.TemporaryDirectory(prefix="emrex-demo-idp-") as folder:
        source = os.path.join(folder, "in.xml")
        target = os.path.join(folder, "out.xml")
        Path(source).write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        command = [
            xmlsec,
            "--sign",
            "--privkey-pem",
            str(key_file),
            "--id-attr:ID",
            node,
            "--output",
            target,
            source,
        ]
        done = subprocess.run(command, capture_output=True, timeout=30, check=False)  # noqa: S603
        if done.returncode != 0:
            raise IdpError(
                f"xmlsec1 could not sign the metadata: {done.stderr.decode(errors='replace')[-300:]}"
            )
        return Path(target).read_bytes()


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
.notice{{background:#fff3cd;border:2px solid #8a6d00;padding:.5rem 1rem}}
.error{{color:#8b0000;font-weight:bold}}input{{font-size:1rem;padding:.3rem}}</style></head>
<body><header><p class="notice"><strong>DEMO</strong> – not a real identity provider</p></header>
<main><h1>{html.escape(title)}</h1>{body}</main></body></html>"""
    return HTMLResponse(page, status_code=status, headers={"cache-control": "no-store"})
