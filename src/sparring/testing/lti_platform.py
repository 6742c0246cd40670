"""A double of an LTI 1.3 platform (Moodle, Canvas) on loopback, for tests of the LTI tool (docs/lti.md,
docs/testing.md): a real threaded HTTP server on 127.0.0.1 with its own RSA key.

- ``GET /jwks``: the platform's public keys.
- ``GET /auth``: the OIDC authorisation endpoint. It checks the tool's login redirect (``scope=openid``,
  ``response_type=id_token``, ``response_mode=form_post``, ``prompt=none``, the client id, a registered redirect
  URI, state and nonce) and answers, like Moodle and Canvas, with an HTML form that auto-posts ``id_token`` and
  ``state`` to the tool; the id_token is signed RS256 with a ``kid`` and carries the claims those platforms send
  for the launch prepared under the ``lti_message_hint`` (:meth:`LtiPlatform.prepare`). :meth:`LtiPlatform.answer`
  reads that form back.
- ``POST /token``: client credentials with a JWT client assertion, checked against the tool's JWKS (iss = sub =
  client id, aud = this token URL, not expired, jti not seen before); the access token carries the scopes asked.
- ``POST /lineitems/<id>/scores``: Assignment and Grade Services scores; the shape is checked (userId,
  scoreGiven ≤ scoreMaximum, activityProgress, gradingProgress, an ISO 8601 timestamp with a zone) and recorded in
  ``scores``; ``fail_scores`` makes the next N posts answer 503.
- ``GET /contexts/<id>/memberships``: the Names and Role Provisioning roster, ``page_size`` members a page with a
  ``Link: <…>; rel="next"`` header.

Everything the double received is kept for assertions (``scores``, ``tokens``, ``problems``: what it refused).
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

L = "https://purl.imsglobal.org/spec/lti/claim/"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INSTRUCTOR = ROLE + "Instructor"
LEARNER = ROLE + "Learner"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}


@dataclass
class Person:
    sub: str
    name: str
    email: str | None
    roles: list[str]


@dataclass
class Launch:
    """A launch the test prepares; the id_token the auth endpoint signs for it. ``override`` replaces claims
    (a key with value None removes it); ``other_key`` signs with a key not in the JWKS; ``age`` back-dates it."""

    person: Person
    message_type: str = "LtiResourceLinkRequest"
    resource_link_id: str = "rl-1"
    custom: dict[str, str] = field(default_factory=dict)
    deployment_id: str = "1"
    lineitem: bool = True
    override: dict[str, Any] = field(default_factory=dict)
    other_key: bool = False
    age: int = 0


class LtiPlatform:
    """The platform double; use as a context manager (serves on 127.0.0.1 on a free port)."""

    def __init__(self, *, client_id: str = "sparring-client", tool_jwks: Callable[[], dict[str, Any]] | None = None,
                 flavour: str = "moodle"):
        self.client_id = client_id
        self.tool_jwks = tool_jwks
        self.flavour = flavour
        kid = "platform-" + secrets.token_hex(4)
        self.key = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})
        self.other = RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256"})
        self.launches: dict[str, Launch] = {}
        self.redirect_uris: set[str] = set()
        self.members: dict[str, list[Person]] = {}
        self.page_size = 2
        self.fail_scores = 0
        self.scores: list[dict[str, Any]] = []
        self.tokens: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self._issued: dict[str, list[str]] = {}
        self._jtis: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="lti-platform", daemon=True)

    # ---- lifecycle ---------------------------------------------------------------------------------------------
    def __enter__(self) -> LtiPlatform:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ---- what a registration in the tool needs -------------------------------------------------------------
    @property
    def issuer(self) -> str:
        return self.url

    def registration(self) -> dict[str, str]:
        return {"issuer": self.issuer, "client_id": self.client_id, "deployment_ids": "1",
                "auth_login_url": self.url + "/auth", "auth_token_url": self.url + "/token",
                "jwks_url": self.url + "/jwks"}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}

    def prepare(self, launch: Launch) -> str:
        """Register a launch; its ``lti_message_hint`` (the login initiation sends it)."""
        hint = "hint-" + secrets.token_hex(6)
        self.launches[hint] = launch
        return hint

    def login_params(self, hint: str, target_link_uri: str) -> dict[str, str]:
        """What the platform sends to the tool's login initiation URL (third-party initiated login)."""
        return {"iss": self.issuer, "login_hint": self.launches[hint].person.sub, "target_link_uri": target_link_uri,
                "lti_message_hint": hint, "client_id": self.client_id,
                "lti_deployment_id": self.launches[hint].deployment_id}

    @staticmethod
    def answer(form_html: str) -> tuple[str, dict[str, str]]:
        """The action and fields of the auto-posting form the auth endpoint answered with."""
        action = re.search(r'<form[^>]*action="([^"]+)"', form_html)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html))
        assert action, form_html[:300]
        return html.unescape(action.group(1)), {k: html.unescape(v) for k, v in fields.items()}

    # ---- the id_token ------------------------------------------------------------------------------------------
    def id_token(self, launch: Launch, nonce: str, target: str) -> str:
        now = int(time.time()) - launch.age
        p = launch.person
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": self.client_id if self.flavour == "moodle" else [self.client_id],
            "sub": p.sub, "exp": now + 60, "iat": now, "nonce": nonce, "name": p.name,
            L + "message_type": launch.message_type, L + "version": "1.3.0", L + "deployment_id": launch.deployment_id,
            L + "target_link_uri": target, L + "roles": p.roles,
            L + "context": {"id": "course-7", "label": "SALES101", "title": "Sales 101",
                            "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            L + "tool_platform": {"guid": "platform-guid", "name": "Double", "product_family_code": self.flavour},
            L + "launch_presentation": {"document_target": "window", "return_url": self.url + "/return"},
            NRPS: {"context_memberships_url": self.url + "/contexts/course-7/memberships",
                   "service_versions": ["2.0"]},
        }
        if self.flavour != "moodle":
            claims["azp"] = self.client_id
        if p.email:
            claims["email"] = p.email
        if launch.message_type == "LtiResourceLinkRequest":
            claims[L + "resource_link"] = {"id": launch.resource_link_id, "title": "Practice"}
            if launch.custom:
                claims[L + "custom"] = dict(launch.custom)
            ags: dict[str, Any] = {"scope": [SCOPE_LINEITEM, SCOPE_SCORE],
                                   "lineitems": self.url + "/contexts/course-7/lineitems"}
            if launch.lineitem:
                ags["lineitem"] = f"{self.url}/lineitems/{launch.resource_link_id}?type_id=1"
            claims[AGS] = ags
        else:
            claims[DL] = {"deep_link_return_url": self.url + "/deep-link-return",
                          "accept_types": ["ltiResourceLink"], "accept_presentation_document_targets": ["window"],
                          "accept_multiple": False, "data": "dl-data-42"}
        for k, v in launch.override.items():
            if v is None:
                claims.pop(k, None)
            else:
                claims[k] = v
        key = self.other if launch.other_key else self.key
        return jwt.encode({"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}, claims, key)

    # ---- reading what the tool signed ------------------------------------------------------------------------
    def tool_keys(self) -> KeySet:
        if self.tool_jwks is None:
            raise AssertionError("the platform double needs tool_jwks to check the tool's signatures")
        return KeySet.import_key_set(self.tool_jwks())  # type: ignore[arg-type]

    def read_deep_link_response(self, token: str) -> dict[str, Any]:
        """The claims of a deep-linking response JWT, checked as a platform does (signature, iss, aud, type)."""
        claims = dict(jwt.decode(token, self.tool_keys(), algorithms=["RS256"]).claims)
        assert claims["iss"] == self.client_id and claims["aud"] in (self.issuer, [self.issuer]), claims
        assert claims[L + "message_type"] == "LtiDeepLinkingResponse" and claims[L + "version"] == "1.3.0"
        assert claims["exp"] > time.time()
        return claims

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type"}
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return 400, {"error": "invalid_request", "error_description": "client_assertion_type"}
        try:
            claims = dict(jwt.decode(form.get("client_assertion", ""), self.tool_keys(), algorithms=["RS256"]).claims)
        except (JoseError, ValueError) as exc:
            self.problems.append(f"token: bad client assertion ({exc})")
            return 401, {"error": "invalid_client", "error_description": str(exc)}
        now = time.time()
        checks = [(claims.get("iss") == self.client_id, "iss"), (claims.get("sub") == self.client_id, "sub"),
                  (claims.get("aud") in (self.url + "/token", [self.url + "/token"]), "aud"),
                  (isinstance(claims.get("exp"), int) and claims["exp"] > now, "exp"),
                  (isinstance(claims.get("jti"), str) and claims["jti"] not in self._jtis, "jti")]
        for ok, what in checks:
            if not ok:
                self.problems.append(f"token: client assertion {what} refused")
                return 401, {"error": "invalid_client", "error_description": what}
        self._jtis.add(claims["jti"])
        token = "at-" + secrets.token_hex(12)
        scopes = form.get("scope", "").split()
        self._issued[token] = scopes
        self.tokens.append({"scopes": scopes, "token": token})
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": " ".join(scopes)}

    def _authorised(self, header: str | None, scope: str) -> bool:
        token = (header or "").removeprefix("Bearer ").strip()
        return scope in self._issued.get(token, [])

    def _score(self, lineitem: str, body: Any) -> tuple[int, str]:
        if self.fail_scores > 0:
            self.fail_scores -= 1
            return 503, "try later"
        problems = []
        if not isinstance(body, dict):
            return 400, "not a JSON object"
        if not isinstance(body.get("userId"), str):
            problems.append("userId")
        given, maximum = body.get("scoreGiven"), body.get("scoreMaximum")
        if not isinstance(given, int | float) or not isinstance(maximum, int | float) or maximum <= 0 \
                or not 0 <= given <= maximum:
            problems.append("scoreGiven/scoreMaximum")
        if body.get("activityProgress") not in PROGRESS:
            problems.append("activityProgress")
        if body.get("gradingProgress") not in GRADING:
            problems.append("gradingProgress")
        try:
            stamp = datetime.fromisoformat(str(body.get("timestamp")))
            if stamp.tzinfo is None:
                problems.append("timestamp zone")
        except ValueError:
            problems.append("timestamp")
        if problems:
            self.problems.append(f"score refused: {problems}")
            return 400, "bad score: " + ", ".join(problems)
        self.scores.append({"lineitem": lineitem, **body})
        return 200, ""

    def _members(self, context: str, page: int) -> tuple[list[dict[str, Any]], bool]:
        people = self.members.get(context, [])
        chunk = people[page * self.page_size:(page + 1) * self.page_size]
        listed = [{"user_id": p.sub, "name": p.name, "status": "Active", "roles": p.roles,
                   **({"email": p.email} if p.email else {})} for p in chunk]
        return listed, (page + 1) * self.page_size < len(people)


def _handler(platform: LtiPlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: str | bytes, kind: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            with platform._lock:
                if parts.path == "/jwks":
                    return self._send(200, json.dumps(platform.jwks()))
                if parts.path == "/auth":
                    return self._auth(query)
                found = re.fullmatch(r"/contexts/([^/]+)/memberships", parts.path)
                if found:
                    if not platform._authorised(self.headers.get("Authorization"), SCOPE_NRPS):
                        return self._send(401, '{"error": "no NRPS token"}')
                    page = int(query.get("page", "0"))
                    members, more = platform._members(found.group(1), page)
                    headers = {}
                    if more:
                        nxt = f"{platform.url}{parts.path}?{urlencode({'page': page + 1})}"
                        headers["Link"] = f'<{nxt}>; rel="next"'
                    doc = {"id": platform.url + parts.path, "context": {"id": found.group(1), "title": "Sales 101"},
                           "members": members}
                    return self._send(200, json.dumps(doc), "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                                      headers)
                return self._send(404, "{}")

        def _auth(self, q: dict[str, str]) -> None:
            expected = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                        "prompt": "none", "client_id": platform.client_id}
            wrong = [k for k, v in expected.items() if q.get(k) != v]
            wrong += [k for k in ("state", "nonce", "login_hint", "redirect_uri") if not q.get(k)]
            if q.get("redirect_uri") and platform.redirect_uris and q["redirect_uri"] not in platform.redirect_uris:
                wrong.append("redirect_uri (not registered)")
            launch = platform.launches.get(q.get("lti_message_hint", ""))
            if launch is None:
                wrong.append("lti_message_hint")
            elif q.get("login_hint") != launch.person.sub:
                wrong.append("login_hint")
            if wrong:
                platform.problems.append(f"auth refused: {wrong}")
                return self._send(400, json.dumps({"error": "invalid_request", "fields": wrong}))
            assert launch is not None
            token = platform.id_token(launch, q["nonce"], q.get("redirect_uri", ""))
            page = (f'<form method="post" action="{html.escape(q["redirect_uri"])}">'
                    f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                    f'<input type="hidden" name="state" value="{html.escape(q["state"])}">'
                    "</form><script>document.forms[0].submit()</script>")
            return self._send(200, page, "text/html")

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            body = self._body()
            with platform._lock:
                if parts.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                    status, doc = platform._token(form)
                    return self._send(status, json.dumps(doc))
                found = re.fullmatch(r"/lineitems/([^/]+)/scores", parts.path)
                if found:
                    if not platform._authorised(self.headers.get("Authorization"), SCOPE_SCORE):
                        return self._send(401, '{"error": "no score token"}')
                    if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                        platform.problems.append("score: wrong content type")
                        return self._send(415, "{}")
                    try:
                        score: Any = json.loads(body)
                    except ValueError:
                        score = None
                    status, text = platform._score(found.group(1), score)
                    return self._send(status, text or "{}")
                return self._send(404, "{}")

    return Handler


def person(sub: str, name: str, *, instructor: bool = False, email: str | None = None) -> Person:
    """A platform person (a learner unless ``instructor``), with a made-up e-mail unless one is given."""
    mail = email if email is not None else f"{sub}@school.test"
    return Person(sub, name, mail or None, [INSTRUCTOR if instructor else LEARNER])


__all__ = ["INSTRUCTOR", "LEARNER", "Launch", "LtiPlatform", "Person", "person", "uuid"]
