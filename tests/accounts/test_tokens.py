"""POST /oauth/token, the JWKS and the discovery document."""
from __future__ import annotations

import jwt
import pytest
import sqlalchemy as sa

from accounts.models import SigningKey
from tests.accounts.conftest import OPERATOR_ID, OPERATOR_SECRET, basic, bearer


def decode_with_served_jwks(hub, token: str) -> dict:
    jwks = jwt.PyJWKSet.from_dict(hub.client.get("/.well-known/jwks.json").json)
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(key for key in jwks.keys if key.key_id == kid)
    return jwt.decode(token, key=key.key, algorithms=["RS256"], audience="hub", issuer="http://accounts.test")


def test_basic_auth_token_verifies_against_the_served_jwks(hub):
    org = hub.create_org()
    client = hub.create_client(org["id"])
    response = hub.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers=basic(client["client_id"], client["client_secret"]))
    assert response.status_code == 200
    body = response.json
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    assert body["scope"] == "referrals:read referrals:write"
    assert response.headers["Cache-Control"] == "no-store"
    claims = decode_with_served_jwks(hub, body["access_token"])
    assert claims["sub"] == claims["client_id"] == client["client_id"]
    assert claims["org"] == org["id"] and claims["roles"] == []
    assert claims["scope"] == "referrals:read referrals:write"
    assert claims["exp"] - claims["iat"] == 600 and claims["jti"]


def test_form_auth_and_operator_claims(hub):
    response = hub.client.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": OPERATOR_ID,
                                                     "client_secret": OPERATOR_SECRET})
    assert response.status_code == 200
    claims = decode_with_served_jwks(hub, response.json["access_token"])
    assert claims["roles"] == ["operator"] and "org" not in claims
    assert set(claims["scope"].split()) == {"organisations:admin", "ops:read"}


@pytest.mark.parametrize("headers, form", [
    (basic(OPERATOR_ID, "wrong"), {}),
    (basic("no-such-client", OPERATOR_SECRET), {}),
    ({}, {"client_id": OPERATOR_ID, "client_secret": "wrong"}),
    ({}, {}),
    ({"Authorization": "Basic !!!"}, {}),
])
def test_bad_credentials_answer_401_invalid_client(hub, headers, form):
    response = hub.client.post("/oauth/token", data={"grant_type": "client_credentials", **form}, headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "invalid_client"
    assert response.mimetype == "application/json"


@pytest.mark.parametrize("form, error", [
    ({}, "invalid_request"),
    ({"grant_type": "password"}, "unsupported_grant_type"),
    ({"grant_type": "client_credentials", "scope": "ops:read referrals:write"}, "invalid_scope"),
])
def test_oauth_errors_follow_rfc6749(hub, form, error):
    response = hub.client.post("/oauth/token", data=form, headers=basic(OPERATOR_ID, OPERATOR_SECRET))
    assert response.status_code == 400
    assert response.json["error"] == error


def test_json_body_is_an_invalid_request(hub):
    response = hub.client.post("/oauth/token", json={"grant_type": "client_credentials"},
                               headers=basic(OPERATOR_ID, OPERATOR_SECRET))
    assert response.status_code == 400 and response.json["error"] == "invalid_request"


def test_requested_scope_narrows_the_token(hub):
    org = hub.create_org()
    client = hub.create_client(org["id"], scopes=("referrals:read", "referrals:write", "webhooks:manage"))
    response = hub.client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "referrals:read"},
                               headers=basic(client["client_id"], client["client_secret"]))
    assert response.status_code == 200 and response.json["scope"] == "referrals:read"
    assert decode_with_served_jwks(hub, response.json["access_token"])["scope"] == "referrals:read"
    response = hub.client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "organisations:admin"},
                               headers=basic(client["client_id"], client["client_secret"]))
    assert response.status_code == 400 and response.json["error"] == "invalid_scope"


def test_revoked_client_gets_no_token_and_its_tokens_are_refused_at_once(hub):
    org = hub.create_org()
    client = hub.create_client(org["id"])
    token = hub.token(client["client_id"], client["client_secret"])
    assert hub.client.get("/v1/organisations", headers=bearer(token)).status_code == 200
    response = hub.client.delete(f"/v1/organisations/{org['id']}/api-clients/{client['client_id']}",
                                 headers=hub.operator())
    assert response.status_code == 204
    response = hub.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers=basic(client["client_id"], client["client_secret"]))
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert hub.client.get("/v1/organisations", headers=bearer(token)).status_code == 401


def test_deactivated_organisations_client_gets_no_token(hub):
    org = hub.create_org()
    client = hub.create_client(org["id"])
    operator = hub.operator()
    assert hub.client.post(f"/v1/organisations/{org['id']}/deactivate", headers=operator).status_code == 200
    response = hub.client.post("/oauth/token", data={"grant_type": "client_credentials"},
                               headers=basic(client["client_id"], client["client_secret"]))
    assert response.status_code == 401 and response.json["error"] == "invalid_client"
    assert hub.client.post(f"/v1/organisations/{org['id']}/reactivate", headers=operator).status_code == 200
    assert hub.token(client["client_id"], client["client_secret"])


def test_openid_configuration_names_the_endpoints(hub):
    document = hub.client.get("/.well-known/openid-configuration").json
    assert document["issuer"] == "http://accounts.test"
    assert document["jwks_uri"] == "http://accounts.test/.well-known/jwks.json"
    assert document["token_endpoint"] == "http://accounts.test/oauth/token"
    assert document["authorization_endpoint"] == "http://accounts.test/oauth/authorize"
    assert document["end_session_endpoint"] == "http://accounts.test/oauth/logout"
    assert document["grant_types_supported"] == ["client_credentials", "authorization_code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert set(document["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post",
                                                                      "none"}


def test_a_token_with_a_wrong_signature_is_refused(hub, tokens):
    assert hub.client.get("/v1/organisations", headers=tokens.headers(roles=("operator",))).status_code == 401
    assert hub.client.get("/v1/organisations", headers=bearer("not-a-jwt")).status_code == 401


def test_private_keys_are_encrypted_at_rest(hub):
    hub.operator()
    with hub.runtime.sessions() as session:
        stored = session.scalars(sa.select(SigningKey)).all()
    assert len(stored) == 1
    assert b"PRIVATE KEY" not in stored[0].private_key
    assert (hub.runtime.settings.var_dir / "accounts-keys.txt").exists()
