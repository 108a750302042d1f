"""The dev stack's own token issuer. Dev and tests only: never deployed.

It stands in for the Cognito user pool beside the local API: it publishes its
signing key the way Cognito does and mints ID tokens with Cognito's claim names,
so ``chalicelib.adapters.identity.TokenVerifier`` runs unchanged against it.
Demo staff accounts can sign in through ``POST /login`` with password "demo".
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEMO_PASSWORD = "demo"
_DEMO_NAMES = {"dispatcher": "演示调度员", "leader": "演示领导", "admin": "演示管理员"}


class LocalIssuer:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        audience: str = "suqiu-local",
        key_file: Path | None = None,
        demo_handler_units: Iterable[str] = (),
    ):
        self.host = host
        self.port = port
        self.audience = audience
        self.demo_handler_units = tuple(demo_handler_units)
        self._key = _load_or_create_key(key_file)
        self.public_jwk = _public_jwk(self._key)
        self.kid = self.public_jwk["kid"]
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # Lets tests prove that verifiers cache the key set.
        self.jwks_requests = 0
        self._lock = threading.Lock()

    @property
    def issuer(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalIssuer is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def start(self) -> LocalIssuer:
        self._server = _Server((self.host, self.port), _Handler, self)
        # Keep the port that port 0 picked, so a restart keeps the issuer URL and
        # tokens minted before it stay valid.
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-issuer", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

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

    def demo_tokens(self, handler_units: Iterable[str] | None = None) -> dict[str, str]:
        """A token for each demo account: by default this issuer's own (``demo_handler_units``)."""
        units = self.demo_handler_units if handler_units is None else handler_units
        return {username: self._mint_demo(username) for username in _demo_usernames(units)}

    def _mint_demo(self, username: str) -> str:
        role, _, unit = username.partition(":")
        name = _DEMO_NAMES.get(role) or f"演示承办人（{unit}）"
        return self.mint(f"demo-{username.replace(':', '-')}", role, unit or None, name=name)

    def _login(self, username: Any, password: Any) -> dict[str, Any] | None:
        if username not in _demo_usernames(self.demo_handler_units) or password != DEMO_PASSWORD:
            return None
        role, _, unit = username.partition(":")
        return {"id_token": self._mint_demo(username), "role": role, "unit": unit or None}

    def _count_jwks_request(self) -> None:
        with self._lock:
            self.jwks_requests += 1


class _Server(ThreadingHTTPServer):
    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        local_issuer: LocalIssuer,
    ):
        super().__init__(address, handler)
        self.local_issuer = local_issuer


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_OPTIONS(self) -> None:
        # CORS preflight: the staff web page runs on another local port.
        self.send_response(HTTPStatus.NO_CONTENT)
        self._send_cors_headers()
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        issuer = self.server.local_issuer
        if self.path == "/.well-known/openid-configuration":
            self._send_json(HTTPStatus.OK, {
                "issuer": issuer.issuer,
                "jwks_uri": issuer.jwks_url,
                "id_token_signing_alg_values_supported": ["RS256"],
            })
        elif self.path == "/.well-known/jwks.json":
            issuer._count_jwks_request()
            self._send_json(HTTPStatus.OK, {"keys": [issuer.public_jwk]})
        else:
            self._send_error(HTTPStatus.NOT_FOUND, "not_found", "地址不存在")

    def do_POST(self) -> None:
        if self.path != "/login":
            self._send_error(HTTPStatus.NOT_FOUND, "not_found", "地址不存在")
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self._send_error(HTTPStatus.BAD_REQUEST, "invalid_request", "请求内容不是有效的 JSON 对象")
            return
        answer = self.server.local_issuer._login(body.get("username"), body.get("password"))
        if answer is None:
            self._send_error(HTTPStatus.UNAUTHORIZED, "login_failed", "用户名或密码错误")
        else:
            self._send_json(HTTPStatus.OK, answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: one line per request would drown the local API's own log."""

    def _send_error(self, status: HTTPStatus, code: str, message: str) -> None:
        self._send_json(status, {"error": {"code": code, "message": message, "fields": {}}})

    def _send_json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self._send_cors_headers()
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_cors_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")


def _demo_usernames(handler_units: Iterable[str]) -> list[str]:
    return [*_DEMO_NAMES, *(f"handler:{unit}" for unit in handler_units)]


def _load_or_create_key(key_file: Path | None) -> rsa.RSAPrivateKey:
    if key_file is not None and key_file.exists():
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{key_file} does not hold an RSA private key")
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if key_file is not None:
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        key_file.parent.mkdir(parents=True, exist_ok=True)
        # Owner-only, like any private key, even a throwaway one.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
    return key


def _public_jwk(key: rsa.RSAPrivateKey) -> dict[str, str]:
    jwk = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    # RFC 7638 thumbprint: the same key file always yields the same kid, so
    # tokens minted before a restart still find their key.
    members = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    kid = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": kid, "use": "sig", "alg": "RS256"}
