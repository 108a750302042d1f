"""Reading CloudFormation templates in the tests: loading, intrinsics as text, walking.

Both infra templates are written with the long form of the intrinsic functions
({"Ref": …}, {"Fn::Sub": …}), so plain ``yaml.safe_load`` reads them. To check
what a value *names*, ``render`` turns an intrinsic into the string it stands for,
with every reference kept as ``${Name}`` (``${Name.Attribute}`` for GetAtt).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
RESOURCES = INFRA / "resources.yaml"


def load(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def resources_of_type(template: dict, *types: str) -> dict[str, dict]:
    return {name: res for name, res in template.get("Resources", {}).items() if res.get("Type") in types}


def render(value: Any) -> list[str]:
    """Every string ``value`` can stand for (Fn::If gives one per branch)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict) and len(value) == 1:
        (function, argument), = value.items()
        if function == "Ref":
            return [] if argument == "AWS::NoValue" else [f"${{{argument}}}"]
        if function == "Fn::GetAtt":
            target = argument if isinstance(argument, str) else ".".join(argument)
            return [f"${{{target}}}"]
        if function == "Fn::Sub":
            if isinstance(argument, str):
                return [argument]
            text, variables = argument
            results = [text]
            for name, variable in variables.items():
                results = [r.replace(f"${{{name}}}", option) for r in results for option in render(variable)]
            return results
        if function == "Fn::Join":
            separator, parts = argument
            results = [""]
            for index, part in enumerate(parts):
                glue = separator if index else ""
                results = [r + glue + option for r in results for option in render(part)]
            return results
        if function == "Fn::If":
            _, when_true, when_false = argument
            return render(when_true) + render(when_false)
    raise AssertionError(f"cannot read {value!r} as a string")


def strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(where, text) for every string in the template, Fn::Sub templates included."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from strings(child, f"{path}/{key}")
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from strings(child, f"{path}/{index}")
