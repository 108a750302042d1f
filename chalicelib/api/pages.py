"""The web pages, served by the same app as the API: no CDN, no build step, nothing fetched from elsewhere.

``/`` the residents' page, ``/staff`` the staff console, ``/dashboard`` the command
centre's dashboard, ``/cases`` the public case library; their scripts and styles are
``/assets/<name>``, all from ``chalicelib/web/`` (so they deploy with the code).

The pages' shared head (charset, viewport, icon, styles, common.js) is ``head.html``,
put where a page says ``{{head}}``; ``{{asset:<name>}}`` becomes the asset's versioned link.

Every link in the pages is relative (``assets/…``, ``api/v1/…``, ``staff``): the same
files work at the local server's root and under API Gateway's stage path (``/api/``).

Caching: a page is revalidated on every visit (``no-cache`` with an ETag, so an
unchanged one costs a 304); it names its assets with their content hash
(``assets/console.js?v=1a2b3c4d``), and an asset asked for with its current hash may
be kept a year (``immutable``). A deployment changes the hash of what it changed, so
no browser ever mixes a new page with an old script. Pages run only their own
scripts (a Content-Security-Policy without inline code), and send no Referer (their
URLs can hold a tracking number).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chalice.app import Request, Response

from chalicelib.api.http import error_response

WEB = Path(__file__).resolve().parent.parent / "web"
PAGES = {"/": "index.html", "/staff": "staff.html", "/dashboard": "dashboard.html", "/cases": "cases.html"}
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
}
# Media come from presigned S3 links and uploads go straight to S3, and the sign-in trades its
# code at the identity provider: those hosts vary by stage, hence http(s) for images, media and
# connections. Scripts and styles: this origin only, never inline.
_CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob: http: https:",
    "media-src 'self' blob: http: https:",
    "connect-src 'self' http: https:",
    "form-action 'self' http: https:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
))
_SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_ASSET_REFERENCE = re.compile(r"\{\{asset:([A-Za-z0-9_.-]+)\}\}")
_YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class _File:
    body: str
    content_type: str
    etag: str

    @property
    def version(self) -> str:
        return self.etag.strip('"')


def _load(path: Path, body: str | None = None) -> _File:
    text = path.read_text(encoding="utf-8") if body is None else body
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return _File(text, _TYPES[path.suffix], f'"{digest}"')


@lru_cache(maxsize=1)
def _assets() -> dict[str, _File]:
    """Every asset, read on the first request for one (not at import: a cold start for the API skips it)."""
    return {path.name: _load(path) for path in (WEB / "assets").iterdir() if path.suffix in _TYPES}


def asset(name: str) -> _File | None:
    # A lookup, not a path: a client's name cannot reach outside the folder, nor grow a cache.
    return _assets().get(name)


@lru_cache(maxsize=None)
def page(route: str) -> _File:
    path = WEB / PAGES[route]

    def versioned(match: re.Match) -> str:
        found = asset(match[1])
        if found is None:
            raise FileNotFoundError(f"{path.name} names a missing asset {match[1]!r}")
        return f"assets/{match[1]}?v={found.version}"

    text = path.read_text(encoding="utf-8").replace("{{head}}", (WEB / "head.html").read_text(encoding="utf-8"))
    return _load(path, _ASSET_REFERENCE.sub(versioned, text))


def _answer(request: Request, file: _File, cache_control: str) -> Response:
    headers = {"Content-Type": file.content_type, "Cache-Control": cache_control, "ETag": file.etag, **_SECURITY_HEADERS}
    if request.headers.get("if-none-match") == file.etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=file.body, status_code=200, headers=headers)


def serve_page(request: Request, route: str) -> Response:
    return _answer(request, page(route), "no-cache")


def serve_asset(request: Request, name: str) -> Response:
    found = asset(name)
    if found is None:
        return error_response(404, "not_found", "未找到")
    current = (request.query_params or {}).get("v") == found.version
    return _answer(request, found, f"public, max-age={_YEAR}, immutable" if current else "no-cache")
