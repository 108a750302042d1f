"""A key pair that signs staff tokens for the in-process tests, and serves its key set the way
Cognito does.

moto's Cognito (infra/staff_pool.py) is the local stack's identity provider, but it signs only
what it issues: it cannot mint the expired, forged, mis-addressed or oddly-shaped tokens the
verifier's tests need, and under ``mock_aws`` its key set is not on any URL the verifier's HTTP
client (PyJWKClient, urllib) can reach. So the tests sign with a key of their own, with
Cognito's claim names, and the app verifies them unchanged.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


class TokenIssuer:
    def __init__(self, *, audience: str = "suqiu-test", host: str = "127.0.0.1"):
        self.audience = audience
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_jwk = _public_jwk(self._key)
        self.kid = self.public_jwk["kid"]
        # Lets tests prove that verifiers cache the key set.
        self.jwks_requests = 0
        self._lock = threading.Lock()
        self._server = _Server((host, 0), self)
        threading.Thread(target=self._server.serve_forever, name="token-issuer", daemon=True).start()

    @property
    def issuer(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def mint(
        self,
        subject: str,
        role: str | list[str],
        unit: str | None = None,
        *,
        ttl_seconds: int = 12 * 3600,
        name: str | None = None,
        **claim_overrides: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl_seconds,
            "token_use": "id",
            "cognito:groups": [role] if isinstance(role, str) else list(role),
        }
        if unit is not None:
            claims["custom:unit"] = unit
        if name is not None:
            claims["name"] = name
        claims.update(claim_overrides)
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})

    def _key_set(self) -> bytes:
        with self._lock:
            self.jwks_requests += 1
        return json.dumps({"keys": [self.public_jwk]}).encode()


class _Server(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], token_issuer: TokenIssuer):
        super().__init__(address, _Handler)
        self.token_issuer = token_issuer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        if self.path != "/.well-known/jwks.json":
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body = self.server.token_issuer._key_set()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the test run's log is checked line by line (tests/personal.py)."""


def _public_jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    # RFC 7638 thumbprint, as a kid.
    members = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": kid, "use": "sig", "alg": "RS256"}
