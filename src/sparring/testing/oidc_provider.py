"""A real OpenID Connect provider on 127.0.0.1 for tests (docs/testing.md; docs/sso.md): a discovery document, a
JWKS, an authorize endpoint that answers at once for the configured test user with a code, and a token endpoint
that checks the client's secret, the redirect URI and the PKCE verifier and returns a signed ID token.

Knobs (attributes of ``FakeOidcProvider``, change them between sign-ins): ``user`` (the claims of the signed-in
person: ``sub``, ``email``, ``email_verified``, ``name``, ``groups`` …), ``bad_signature`` (sign with a key the JWKS
does not hold), ``wrong_nonce``, ``wrong_aud``, ``expired``, ``wrong_issuer``. ``codes_issued`` counts codes.
The signing key is generated when the provider starts (nothing is committed). Needs the ``[sso]`` extra
(joserfc, which authlib depends on)::

    with FakeOidcProvider(client_id="sparring", client_secret="s3cret") as idp:
        idp.user = {"sub": "u-1", "email": "ada@acme.test", "email_verified": True, "groups": ["admins"]}
        ...  # configure the issuer ``idp.issuer`` in Sparring and sign in
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class _Grant:
    redirect_uri: str
    nonce: str
    challenge: str
    user: dict[str, Any]


class FakeOidcProvider:
    def __init__(self, client_id: str = "sparring", client_secret: str = "s3cret") -> None:
        from joserfc.jwk import RSAKey

        self.client_id = client_id
        self.client_secret = client_secret
        self.user: dict[str, Any] = {"sub": "user-1", "email": "user@example.test", "email_verified": True,
                                     "name": "Test User", "groups": []}
        self.bad_signature = False
        self.wrong_nonce = False
        self.wrong_aud = False
        self.expired = False
        self.wrong_issuer = False
        self.codes_issued = 0
        self._key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self._other = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})
        self._grants: dict[str, _Grant] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-oidc", daemon=True)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeOidcProvider:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the documents ---------------------------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token", "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"], "code_challenge_methods_supported": ["S256"]}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._key.as_dict(private=False)]}

    def id_token(self, grant: _Grant) -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {"iss": self.issuer + ("/other" if self.wrong_issuer else ""),
                  "aud": "someone-else" if self.wrong_aud else self.client_id,
                  "iat": now - (7200 if self.expired else 0), "exp": now - 3600 if self.expired else now + 300,
                  "nonce": "not-the-nonce" if self.wrong_nonce else grant.nonce, **grant.user}
        key = self._other if self.bad_signature else self._key
        return str(jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key))

    # --- HTTP ------------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _json(self, status: int, doc: dict[str, Any]) -> None:
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, provider.discovery())
                if url.path == "/jwks":
                    return self._json(200, provider.jwks())
                if url.path == "/authorize":
                    return self._authorize({k: v[0] for k, v in parse_qs(url.query).items()})
                return self._json(404, {"error": "not_found"})

            def _authorize(self, q: dict[str, str]) -> None:
                if q.get("client_id") != provider.client_id or q.get("response_type") != "code" \
                        or q.get("code_challenge_method") != "S256" or not q.get("code_challenge") \
                        or "openid" not in q.get("scope", "").split():
                    return self._json(400, {"error": "invalid_request"})
                code = secrets.token_urlsafe(16)
                provider._grants[code] = _Grant(q.get("redirect_uri", ""), q.get("nonce", ""), q["code_challenge"],
                                                dict(provider.user))
                provider.codes_issued += 1
                target = q.get("redirect_uri", "")
                query = urlencode({"code": code, "state": q.get("state", "")})
                self.send_response(302)
                self.send_header("location", f"{target}{'&' if '?' in target else '?'}{query}")
                self.send_header("content-length", "0")
                self.end_headers()

            def do_POST(self) -> None:
                if urlsplit(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                length = int(self.headers.get("content-length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = self.headers.get("authorization", "")
                expected = "Basic " + base64.b64encode(
                    f"{provider.client_id}:{provider.client_secret}".encode()).decode()
                if basic != expected:
                    return self._json(401, {"error": "invalid_client"})
                grant = provider._grants.pop(form.get("code", ""), None)  # a code works once
                if grant is None or form.get("grant_type") != "authorization_code" \
                        or form.get("redirect_uri") != grant.redirect_uri:
                    return self._json(400, {"error": "invalid_grant"})
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
                    return self._json(400, {"error": "invalid_grant"})
                return self._json(200, {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                                        "expires_in": 300, "id_token": provider.id_token(grant)})

        return Handler
