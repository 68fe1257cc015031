"""The documents an OpenID4VCI issuer publishes: credential issuer metadata, the authorization server
metadata of its pre-authorized code flow, and the credential offer."""

from __future__ import annotations

from emrex.wallet.credential import VC_TYP
from emrex.wallet.jose import Json
from emrex.wallet.proof import PROOF_ALGS
from emrex.wallet.typemeta import type_metadata

CONFIGURATION_ID = "elm_sd_jwt_vc"
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
TX_CODE_HINT = "The code shown on the page where you asked for the credential"


def credential_issuer_metadata(
    issuer: str, *, name: str, credential_endpoint: str, nonce_endpoint: str, signing_alg: str
) -> Json:
    types = type_metadata()
    return {
        "credential_issuer": issuer,
        "credential_endpoint": credential_endpoint,
        "nonce_endpoint": nonce_endpoint,
        "display": [{"name": name, "locale": "en"}, {"name": name, "locale": "sv"}],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": VC_TYP,
                "vct": types["vct"],
                "scope": "elm",
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": [signing_alg],
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS)}},
                "credential_metadata": {
                    "display": [{"name": d["name"], "locale": d["locale"]} for d in types["display"]],
                    "claims": [
                        {
                            "path": claim["path"],
                            "display": [
                                {"name": d["label"], "locale": d["locale"]} for d in claim["display"]
                            ],
                        }
                        for claim in types["claims"]
                    ],
                },
            }
        },
    }


def authorization_server_metadata(issuer: str, *, token_endpoint: str) -> Json:
    return {
        "issuer": issuer,
        "token_endpoint": token_endpoint,
        "grant_types_supported": [PRE_AUTHORIZED],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
    }


def credential_offer(issuer: str, code: str, tx_code_digits: int | None) -> Json:
    grant: Json = {"pre-authorized_code": code}
    if tx_code_digits:
        grant["tx_code"] = {"input_mode": "numeric", "length": tx_code_digits, "description": TX_CODE_HINT}
    return {
        "credential_issuer": issuer,
        "credential_configuration_ids": [CONFIGURATION_ID],
        "grants": {PRE_AUTHORIZED: grant},
    }
