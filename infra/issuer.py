"""The hosted sign-in page moto's Cognito lacks, for the dev stack's staff pages. Dev and tests only.

moto's Cognito (infra/staff_pool.py) holds the demo accounts and issues their ID tokens; it has no
hosted UI. This serves OpenID Connect's authorization code flow with PKCE in front of it, as the
staff pages use Cognito's hosted sign-in: ``GET /authorize`` shows a sign-in form, whose
``POST /authorize`` signs the user in at moto's Cognito (admin_initiate_auth with the username and
password typed) and sends the browser back to ``redirect_uri`` with a one-time code (valid 5
minutes); ``POST /token`` trades the code and its PKCE verifier for moto's ID token. PKCE is S256
only, as Cognito has it. Any ``redirect_uri`` is accepted: this is a dev tool.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt

from infra.staff_pool import StaffPool

CODE_TTL_SECONDS = 300
_AUTHORIZE_PARAMS = ("client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method", "scope")


@dataclass(frozen=True)
class _Grant:
    """An authorization code's promise: the ID token it stands for, for which client and redirect, under which
    PKCE challenge."""

    id_token: str
    client_id: str
    redirect_uri: str
    challenge: str
    expires: float


class SignInPage:
    def __init__(self, pool: StaffPool, *, host: str = "127.0.0.1", port: int = 0):
        self.pool = pool
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("SignInPage is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def authorize_url(self) -> str:
        return f"{self.url}/authorize"

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    def start(self) -> SignInPage:
        self._server = _Server((self.host, self.port), _Handler, self)
        self.port = self._server.server_port  # the one port 0 picked
        self._thread = threading.Thread(target=self._server.serve_forever, name="sign-in-page", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def _authorize_problem(self, params: dict[str, str]) -> str | None:
        if params.get("response_type", "code") != "code":
            return "只支持 response_type=code"
        if params.get("client_id") != self.pool.client_id:
            return "未知的 client_id"
        if urlsplit(params.get("redirect_uri", "")).scheme not in ("http", "https"):
            return "redirect_uri 无效"
        if not params.get("code_challenge"):
            return "缺少 PKCE code_challenge"
        # "plain" sends the verifier itself: anyone who sees the redirect could redeem the code.
        if params.get("code_challenge_method") != "S256":
            return "PKCE 只支持 code_challenge_method=S256"
        return None

    def _grant(self, params: dict[str, str], id_token: str) -> str:
        """A one-time code for a signed-in account's ID token; the redirect that carries it."""
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._grants[code] = _Grant(
                id_token, params["client_id"], params["redirect_uri"], params["code_challenge"],
                time.time() + CODE_TTL_SECONDS,
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
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if not secrets.compare_digest(base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), grant.challenge):
            return "PKCE 校验失败"
        return {"id_token": grant.id_token, "token_type": "Bearer", "expires_in": _expires_in(grant.id_token)}


def _expires_in(id_token: str) -> int:
    """Seconds the token has left, read from its own ``exp`` (moto's tokens live an hour)."""
    return max(0, int(jwt.decode(id_token, options={"verify_signature": False})["exp"] - time.time()))


class _Server(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], sign_in_page: SignInPage):
        super().__init__(address, handler)
        self.sign_in_page = sign_in_page


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
        page = self.server.sign_in_page
        path, _, query = self.path.partition("?")
        if path != "/authorize":
            self._send_error(HTTPStatus.NOT_FOUND, "not_found", "地址不存在")
            return
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        problem = page._authorize_problem(params)
        if problem:
            self._send_page(HTTPStatus.BAD_REQUEST, _problem_page(problem))
        else:
            self._send_page(HTTPStatus.OK, _sign_in_form(params, page.pool.usernames))

    def do_POST(self) -> None:
        if self.path == "/authorize":
            self._sign_in()
        elif self.path == "/token":
            self._token()
        else:
            self._send_error(HTTPStatus.NOT_FOUND, "not_found", "地址不存在")

    def _form(self) -> dict[str, str]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        return {k: v[-1] for k, v in parse_qs(raw).items()}

    def _sign_in(self) -> None:
        page = self.server.sign_in_page
        form = self._form()
        problem = page._authorize_problem(form)
        if problem:
            self._send_page(HTTPStatus.BAD_REQUEST, _problem_page(problem))
        elif (id_token := page.pool.sign_in(form.get("username"), form.get("password"))) is None:
            self._send_page(HTTPStatus.UNAUTHORIZED, _sign_in_form(form, page.pool.usernames, "用户名或密码错误"))
        else:
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", page._grant(form, id_token))
            self.send_header("Content-Length", "0")
            self.end_headers()

    def _token(self) -> None:
        answer = self.server.sign_in_page._redeem(self._form())
        if isinstance(answer, str):
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": "invalid_grant", "error_description": answer})
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


def _sign_in_form(params: dict[str, str], usernames: Iterable[str], error: str = "") -> str:
    """The dev stack's sign-in form: one of the demo accounts, password "demo"."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(params[name])}">'
        for name in _AUTHORIZE_PARAMS if params.get(name)
    )
    accounts = "".join(f'<option value="{html.escape(u)}">' for u in usernames)
    alert = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return _PAGE.format(body=f"""<h1>演示账号登录</h1>{alert}
<form method="post" action="/authorize">{hidden}
<label for="username">用户名</label>
<input id="username" name="username" list="accounts" autocomplete="username" required value="{html.escape(params.get("username", ""))}">
<datalist id="accounts">{accounts}</datalist>
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<p>演示账号：dispatcher、leader、admin、operator、handler:&lt;单位代码&gt;（如 handler:lsq-cg），密码均为 demo。</p>
<button type="submit">登录</button></form>""")


