"""The dev stack's own token issuer. Dev and tests only: never deployed.

It stands in for the Cognito user pool beside the local API: it publishes its
signing key the way Cognito does and mints ID tokens with Cognito's claim names,
so ``chalicelib.adapters.identity.TokenVerifier`` runs unchanged against it.
Demo staff accounts (password "demo") sign in two ways:

- ``POST /login {"username", "password"}`` answers an ID token (scripts, curl);
- OpenID Connect's authorization code flow with PKCE, as the staff pages use it with
  Cognito's hosted sign-in or any OIDC provider: ``GET /authorize`` shows a sign-in
  form, whose ``POST /authorize`` sends the browser back to ``redirect_uri`` with a
  one-time code (valid 5 minutes); ``POST /token`` trades the code and its PKCE
  verifier for the ID token. Any ``redirect_uri`` is accepted: this is a dev tool.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

DEMO_PASSWORD = "demo"
_DEMO_NAMES = {"dispatcher": "演示调度员", "leader": "演示领导", "admin": "演示管理员"}
CODE_TTL_SECONDS = 300
_AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope")


@dataclass(frozen=True)
class _Grant:
    """An authorization code's promise: whom it signs in, for which client and redirect, under which PKCE challenge."""

    username: str
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    expires: float


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
        self._grants: dict[str, _Grant] = {}

    @property
    def issuer(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalIssuer is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    @property
    def authorize_url(self) -> str:
        return f"{self.issuer}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

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

    # ---- the authorization code flow (OpenID Connect, PKCE) ----------------------------

    def _authorize_problem(self, params: dict[str, str]) -> str | None:
        if params.get("response_type", "code") != "code":
            return "只支持 response_type=code"
        if params.get("client_id") != self.audience:
            return "未知的 client_id"
        if urlsplit(params.get("redirect_uri", "")).scheme not in ("http", "https"):
            return "redirect_uri 无效"
        if not params.get("code_challenge") or params.get("code_challenge_method", "plain") not in ("S256", "plain"):
            return "缺少 PKCE code_challenge"
        return None

    def _grant(self, params: dict[str, str]) -> str:
        """A one-time code for a signed-in demo account; the redirect that carries it."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                params["username"], params["client_id"], params["redirect_uri"], params["code_challenge"],
                params.get("code_challenge_method", "plain"), time.time() + CODE_TTL_SECONDS,
            )
        query = {"code": code, **({"state": params["state"]} if params.get("state") else {})}
        separator = "&" if urlsplit(params["redirect_uri"]).query else "?"
        return f"{params['redirect_uri']}{separator}{urlencode(query)}"

    def _redeem(self, form: dict[str, str]) -> dict[str, Any] | str:
        """The tokens for a code, once; or why not (an OAuth error description)."""
        if form.get("grant_type") != "authorization_code":
            return "只支持 grant_type=authorization_code"
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
        if grant is None or grant.expires < time.time():
            return "授权码无效或已过期"
        if (form.get("client_id"), form.get("redirect_uri")) != (grant.client_id, grant.redirect_uri):
            return "client_id 或 redirect_uri 与授权时不符"
        verifier = form.get("code_verifier", "")
        if grant.method == "S256":
            digest = hashlib.sha256(verifier.encode()).digest()
            verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if not secrets.compare_digest(verifier, grant.challenge):
            return "PKCE 校验失败"
        return {"id_token": self._mint_demo(grant.username), "token_type": "Bearer", "expires_in": 12 * 3600}


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
        path, _, query = self.path.partition("?")
        if path == "/authorize":
            params = {k: v[-1] for k, v in parse_qs(query).items()}
            problem = issuer._authorize_problem(params)
            if problem:
                self._send_page(HTTPStatus.BAD_REQUEST, _problem_page(problem))
            else:
                self._send_page(HTTPStatus.OK, _sign_in_page(params, issuer.demo_handler_units))
        elif path == "/.well-known/openid-configuration":
            self._send_json(HTTPStatus.OK, {
                "issuer": issuer.issuer,
                "authorization_endpoint": issuer.authorize_url,
                "token_endpoint": issuer.token_url,
                "jwks_uri": issuer.jwks_url,
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256", "plain"],
                "id_token_signing_alg_values_supported": ["RS256"],
            })
        elif self.path == "/.well-known/jwks.json":
            issuer._count_jwks_request()
            self._send_json(HTTPStatus.OK, {"keys": [issuer.public_jwk]})
        else:
            self._send_error(HTTPStatus.NOT_FOUND, "not_found", "地址不存在")

    def do_POST(self) -> None:
        if self.path == "/authorize":
            self._sign_in()
        elif self.path == "/token":
            self._token()
        elif self.path == "/login":
            self._password_login()
        else:
            self._send_error(HTTPStatus.NOT_FOUND, "not_found", "地址不存在")

    def _form(self) -> dict[str, str]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        return {k: v[-1] for k, v in parse_qs(raw).items()}

    def _sign_in(self) -> None:
        issuer = self.server.local_issuer
        form = self._form()
        problem = issuer._authorize_problem(form)
        if problem:
            self._send_page(HTTPStatus.BAD_REQUEST, _problem_page(problem))
        elif issuer._login(form.get("username"), form.get("password")) is None:
            page = _sign_in_page(form, issuer.demo_handler_units, "用户名或密码错误")
            self._send_page(HTTPStatus.UNAUTHORIZED, page)
        else:
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", issuer._grant(form))
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _token(self) -> None:
        answer = self.server.local_issuer._redeem(self._form())
        if isinstance(answer, str):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "invalid_grant", "error_description": answer})
        else:
            self._send_json(HTTPStatus.OK, answer)

    def _password_login(self) -> None:
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

    def _send_page(self, status: HTTPStatus, page: str) -> None:
        body = page.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

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


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>演示账号登录</title><link rel="icon" href="data:,">
<style>body{{font-family:sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#1c2430}}
label{{display:block;font-weight:600;margin:.8rem 0 .3rem}}input{{width:100%;font:inherit;padding:.5rem;box-sizing:border-box}}
button{{margin-top:1rem;font:inherit;padding:.6rem 1.2rem;background:#0b5cad;color:#fff;border:0;border-radius:6px}}
.error{{color:#b3261e}}</style></head><body>{body}</body></html>"""


def _problem_page(problem: str) -> str:
    return _PAGE.format(body=f"<h1>无法登录</h1><p class=error>{html.escape(problem)}</p>")


def _sign_in_page(params: dict[str, str], handler_units: Iterable[str], error: str = "") -> str:
    """The dev stack's sign-in form: one of the demo accounts, password "demo"."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in _AUTHORIZE_PARAMS if params.get(name)
    )
    accounts = "".join(f'<option value="{html.escape(u)}">' for u in _demo_usernames(handler_units))
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _PAGE.format(body=f"""<h1>演示账号登录</h1>{alert}
<form method="post" action="/authorize">{hidden}
<label for="username">用户名</label>
<input id="username" name="username" list="accounts" autocomplete="username" required value="{html.escape(params.get("username", ""))}">
<datalist id="accounts">{accounts}</datalist>
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<p>演示账号：dispatcher、leader、admin、handler:&lt;单位代码&gt;（如 handler:lsq-cg），密码均为 demo。</p>
<button type="submit">登录</button></form>""")


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
