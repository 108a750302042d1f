"""Calls held to the OpenAPI document: the status is one it lists, the body fits its schema,
and the handler validated its input with the models the document was made from.

The ``api`` fixture (conftest.py) runs every call of every API test through
``check``, so the document is checked against what the code really answers, in
every case the tests make, success and error alike. Only calls to an operation
the document lists are checked: Open311, unknown paths and methods are not in it.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from chalicelib import answers
from chalicelib.api.openapi import document
from chalicelib.api.operations import OPERATIONS


class Conformance:
    def __init__(self, doc: dict):
        self.doc = doc
        self._routes = [
            (method.upper(), _template(path), operation)
            for path, operations in doc["paths"].items()
            for method, operation in operations.items()
        ]

    def operation(self, method: str, path: str) -> dict | None:
        path = path.split("?", 1)[0]
        return next((op for m, pattern, op in self._routes if m == method and pattern.fullmatch(path)), None)

    def check(
        self, method: str, path: str, validated: list, status: int, content_type: str | None, text: str
    ) -> None:
        """AssertionError if the call is not one the document describes.

        ``validated``: the models the handler validated the call's input with (http.validate).
        """
        operation = self.operation(method, path)
        if operation is None:
            return
        declared = _DECLARED[operation["operationId"]]
        stray = [getattr(model, "__name__", repr(model)) for model in validated if model not in declared]
        assert not stray, f"{method} {path}: validated with {stray}, which api/operations.py does not name for it"
        where = f"{method} {path.split('?', 1)[0]} answered {status}"
        response = operation["responses"].get(str(status))
        listed = operation["operationId"]
        assert response is not None, f"{where}, a status the OpenAPI document does not list ({listed})"
        [(media_type, content)] = response["content"].items()
        assert (content_type or "").split(";")[0].strip() == media_type, f"{where} as {content_type}, not {media_type}"
        if "schema" not in content or content["schema"].get("type") == "string":
            return  # text (CSV): its content type is all the document says
        body = json.loads(text)
        error = best_match(self._validator(json.dumps(content["schema"], sort_keys=True)).iter_errors(body))
        assert error is None, (
            f"{where}, a body that does not fit the document's schema: {error.message} "
            f"at {'/'.join(map(str, error.absolute_path)) or 'the top'}\n{text[:1000]}"
        )

    def check_answer(self, method: str, path: str, status: int, answered: list) -> None:
        """AssertionError unless a success answered the very model api/operations.py names for its status.

        ``answered``: what the handler gave http.respond (http.dump). A dict written to fit the
        document, or another model (a subclass included), is not the answer's one shape.
        """
        operation = self.operation(method, path)
        if operation is None or not 200 <= status < 300:
            return
        model = _ANSWERS[operation["operationId"]][status]
        if model in _NOT_MODELS:
            return
        shown = [type(answer).__name__ for answer in answered]
        assert [type(answer) for answer in answered] == [model], (
            f"{method} {path.split('?', 1)[0]} answered {status} with {shown}, not the {model.__name__} "
            "api/operations.py names: build the answer as its model"
        )

    @lru_cache(maxsize=None)
    def _validator(self, schema: str) -> Draft202012Validator:
        # The document is the schema's root, so "#/components/schemas/…" resolves in it.
        root = {**json.loads(schema), "components": self.doc["components"]}
        return Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)


# The body and query models each operation is documented with, by operationId.
_DECLARED = {op.view: {*op.body, op.query} for op in OPERATIONS}
# Its answers' models, by operationId and status.
_ANSWERS = {op.view: op.answers for op in OPERATIONS}
# Answers that are not built as their model: the document describes itself (api/openapi.py builds it
# from the models), and CSV is text.
_NOT_MODELS = (answers.Document, answers.Csv)


def _template(path: str) -> re.Pattern:
    return re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)))


@lru_cache(maxsize=1)
def conformance() -> Conformance:
    return Conformance(document())
