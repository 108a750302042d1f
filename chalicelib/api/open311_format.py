"""Open311 GeoReport v2 on the wire: the form a POST sends, the XML and JSON answers, the error answer.

What an order means in Open311 (its fields, statuses, what is published) is domain/open311.py;
this is only how the specification writes it:

- Answers are lists at the top level (JSON) or a root element with one child per
  item (XML): ``<services><service>``, ``<service_requests><request>``,
  ``<service_request_updates><request_update>``, ``<errors><error>``; lists inside
  an item are wrapped the same way (``<attributes><attribute>``,
  ``<values><value>``, ``<endpoints><endpoint>``, ``<formats><format>``). An empty
  value is ``null`` in JSON and an empty element in XML; XML starts with its
  declaration, UTF-8.
- An error answer has one error per field at fault, named as Open311 names it.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from urllib.parse import parse_qs

from chalicelib.city import REQUEST_TYPE_QUESTION
from chalicelib.domain.errors import InvalidInput

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

# The element of each item of a list, by the list's name.
_ITEM = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry, even escaped; a description may hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# Our field names as Open311 calls them, for error answers.
_FIELDS = {
    "category": "service_code",
    "type": f"attribute[{REQUEST_TYPE_QUESTION}]",
    "location": "lat",
    "location.lat": "lat",
    "location.lng": "long",
    "location.address": "address_string",
    "contact": "phone",
    "contact.phone": "phone",
    "contact.name": "last_name",
}

def field_name(ours: str) -> str:
    """The Open311 parameter behind one of our field names (answers.spot → attribute[spot])."""
    if ours.startswith("answers."):
        return f"attribute[{ours.removeprefix('answers.')}]"
    return _FIELDS.get(ours, ours)


def parse_form(body: bytes) -> dict[str, list[str]]:
    """An application/x-www-form-urlencoded body; empty values are dropped (as if not sent)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("请求体须为 UTF-8 编码", {"body": "须为 UTF-8"}) from None
    parsed = parse_qs(text, keep_blank_values=True)
    return {name: kept for name, values in parsed.items() if (kept := [v for v in values if v.strip()])}


def errors(status_code: int, message: str, fields: Mapping[str, str]) -> list[dict]:
    """The error answer: one error per field at fault (named as Open311 names it), else the message."""
    if not fields:
        return [{"code": status_code, "description": message}]
    return [{"code": status_code, "description": f"{field_name(f)}: {m}"} for f, m in fields.items()]


# ---- XML -------------------------------------------------------------------------------

def to_xml(root: str, body: list | dict) -> str:
    """``body`` under the element ``root``, the Spark convention the other way round."""
    element = ET.Element(root)
    _fill(element, body)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, _ITEM[element.tag]), item)
    elif isinstance(value, dict):
        for name, item in value.items():
            _fill(ET.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))
