"""A small stand-in for accounts' side of the browser sign-in, until the real one is in the e2e hub:
`/oauth/authorize` (a sign-in form: pick a person), `/oauth/token` (authorization_code + PKCE S256),
`/oauth/logout` and the service directory `GET /v1/services`. Tokens are signed by the tests'
TokenFactory, so the referrals app under test verifies them with `tokens.verifier()`."""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, render_template_string, request
from werkzeug.serving import make_server

from tests.conftest import TokenFactory

SIGN_IN = """<!doctype html><html lang="en"><head><title>Sign in</title></head><body><main>
<h1>Sign in to the hub</h1>
<form method="post"><label for="username">User name</label> <input id="username" name="username">
<button type="submit">Sign in</button></form></main></body></html>"""


@dataclass
class Person:
    username: str
    name: str
    organisation_id: str
    roles: tuple[str, ...] = ("counsellor",)

    @property
    def subject(self) -> str:
        """A person's `sub` is their id, a UUID, as accounts issues it (stable per username here)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hub-test-person:{self.username}"))


@dataclass
class FakeAccounts:
    tokens: TokenFactory
    people: dict[str, Person] = field(default_factory=dict)
    services: list[dict] = field(default_factory=list)
    codes: dict[str, dict] = field(default_factory=dict)
    token_requests: list[dict] = field(default_factory=list)
    directory_up: bool = True
    url: str = ""

    def app(self) -> Flask:
        app = Flask("fake_accounts")

        @app.route("/oauth/authorize", methods=["GET", "POST"])
        def authorize():
            args = request.args
            if args.get("response_type") != "code" or args.get("code_challenge_method") != "S256":
                abort(400)
            if request.method == "GET":
                return render_template_string(SIGN_IN)
            person = self.people.get(request.form.get("username", ""))
            if person is None:
                return render_template_string(SIGN_IN), 401
            code = secrets.token_urlsafe(16)
            self.codes[code] = {"person": person, "client_id": args["client_id"],
                                "redirect_uri": args["redirect_uri"], "challenge": args["code_challenge"]}
            return redirect(args["redirect_uri"] + "?" + urlencode({"code": code, "state": args.get("state", "")}))

        @app.post("/oauth/token")
        def token():
            form = request.form.to_dict()
            self.token_requests.append(form)
            grant = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if (form.get("grant_type") != "authorization_code" or grant is None
                    or grant["client_id"] != form.get("client_id") or grant["redirect_uri"] != form.get("redirect_uri")
                    or grant["challenge"] != challenge):
                return jsonify(error="invalid_grant"), 400
            person = grant["person"]
            access = self.tokens.issue(org=person.organisation_id, roles=person.roles, sub=person.subject,
                                       scopes=("referrals:read", "referrals:write"), client_id=None,
                                       lifetime=900)
            return jsonify(access_token=access, token_type="Bearer", expires_in=900, name=person.name)

        @app.get("/oauth/logout")
        def logout():
            return redirect(request.args.get("post_logout_redirect_uri", "/"))

        @app.get("/v1/services")
        def services():
            if not self.directory_up:
                abort(503)
            wanted = request.args
            items = [s for s in self.services
                     if (not wanted.get("need") or wanted["need"] in s["needs"])
                     and (not wanted.get("municipality") or wanted["municipality"] in s["municipality_codes"])
                     and (not wanted.get("language") or wanted["language"] in s["languages"])]
            return jsonify(items=items, next_cursor=None)

        return app


class ServerThread:
    """A WSGI app served on 127.0.0.1 in a thread (threaded: a browser opens several connections)."""

    def __init__(self, app, port: int = 0):
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join()
