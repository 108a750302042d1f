"""The modules' imports keep the house's layers: no cycle, no botocore where HTTP is spoken, no protocol
in the domain.

Module-level imports only are counted (those under ``if TYPE_CHECKING:`` are left out, as they never
run): an import inside a function is a deliberate late load (a cold start's cost, an optional
dependency) and cannot make a module's loading depend on itself.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "chalicelib"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """Every module ``name`` imports when it loads (``from a import b`` counts a.b if that is a module)."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: resolved against this module's package
                    package = name.split(".") if is_package else name.split(".")[:-1]
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and not _is_type_checking(node):
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, ast.Try):
                visit(node.body)
                for handler in node.handlers:
                    visit(handler.body)
                visit(node.orelse)
                visit(node.finalbody)

    visit(tree.body)
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in (ROOT / PACKAGE).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = _top_level_imports(tree, name, path.name == "__init__.py")
        graph[name] = {module for module in imported if module in paths and module != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules in order, the first repeated last), or None."""
    done: set[str] = set()
    for start in sorted(graph):
        stack, path, on_path = [(start, iter(sorted(graph[start])))], [start], {start}
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                return path[path.index(child):] + [child]
            elif child not in done:
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
                on_path.add(child)
    return None


def _parent_packages(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))}


def test_no_import_cycle_among_the_modules():
    graph = _graph()
    # A package's __init__ runs before any of its modules: importing a.b imports a too. An edge to
    # a parent package is left out, as Python runs the parent first and a module may re-export.
    pruned = {name: {m for m in imported if m not in _parent_packages(name)} for name, imported in graph.items()}
    assert _cycle(pruned) is None, " → ".join(_cycle(pruned))


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _all_imports(path: Path) -> set[str]:
    """Every module a file names in an import, at any depth (a late import counts here).

    ``from a import b`` counts a and a.b: b may be a module (``from chalicelib import api``).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_http_layer_reads_no_botocore_nor_pynamodb_error():
    # AWS's "not now" is recognised at the storage and adapter boundary and reaches the handlers
    # as the domain's Unavailable: the HTTP side knows no SDK.
    for path in (ROOT / PACKAGE / "api").glob("*.py"):
        sdk = {m for m in _all_imports(path) if m.split(".")[0] in ("botocore", "boto3", "pynamodb")}
        assert not sdk, f"{path.name} imports {sorted(sdk)}"


def test_the_domain_writes_no_wire_format():
    # XML, form decoding and the HTTP layer are the API side's (api/open311_format.py).
    for path in (ROOT / PACKAGE / "domain").glob("*.py"):
        wire = {m for m in _all_imports(path) if m.split(".")[0] in ("xml", "urllib", "chalice")}
        wire |= {m for m in _all_imports(path) if m.startswith(("chalicelib.api", "chalicelib.storage"))}
        assert not wire, f"{path.name} imports {sorted(wire)}"


def test_the_http_plumbing_imports_no_handler_module():
    # A prefix's own error format (Open311's) is registered from the wiring (app.py), not imported.
    handlers = {m for m in _all_imports(ROOT / PACKAGE / "api" / "http.py") if m.startswith("chalicelib.api.")}
    assert handlers == set(), sorted(handlers)


def test_domain_errors_carry_a_kind_and_no_status():
    from chalicelib.api.http import STATUS
    from chalicelib.domain.errors import DomainError, Kind
    from chalicelib.services import channels, idempotency, intake, verification  # noqa: F401 - their errors

    assert set(STATUS) == set(Kind)
    classes, seen = [DomainError], []
    while classes:
        cls = classes.pop()
        seen.append(cls)
        classes.extend(cls.__subclasses__())
        assert isinstance(cls.kind, Kind) and "status" not in vars(cls), cls
    assert len(seen) > 8  # the domain's own and the services' (loaded by the app's import chain)


def test_below_the_http_layer_nothing_imports_it():
    # The request models a use case takes live in chalicelib/commands/: a service called from a queue,
    # a schedule or a new channel must not load (nor depend on) the HTTP handlers.
    for layer in ("services", "domain", "storage", "adapters", "commands"):
        for path in (ROOT / PACKAGE / layer).rglob("*.py"):
            http = {m for m in _all_imports(path) if m == "chalicelib.api" or m.startswith("chalicelib.api.")}
            assert not http, f"{layer}/{path.name} imports {sorted(http)}"


# ---- the tests' own wiring -------------------------------------------------------------------------

TESTS = ROOT / "tests"


def _test_modules() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def _is_test_module_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another_or_a_conftest():
    # Shared fixtures are found by pytest in conftest.py, shared helpers live in modules that are not
    # collected: a test module imported by another would also run its tests, and a fixture's scope
    # would depend on who imported it.
    wrong = {
        str(path.relative_to(ROOT)): sorted(m for m in _all_imports(path) if _is_test_module_or_conftest(m))
        for path in _test_modules()
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_no_test_module_imports_a_fixture():
    # An imported fixture needs a "# noqa: F401" and silently changes which fixture of that name the
    # module's tests get (an autouse one even applies to all of them): conftest.py files give fixtures.
    wrong = []
    for path in _test_modules():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests"):
                text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                if "noqa: F401" in text:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert wrong == []


def test_asking_for_an_sms_code_loads_no_intake():
    """POST /otp is the residents' first call: its cold start must not pay for the submission's modules
    (geometry, routing, the classifier, duplicates), which the rate limits only name."""
    probe = (
        "import os, sys; from infra.testenv import TEST_ENV; os.environ.update(TEST_ENV); "
        "import chalicelib.api.residents; print('chalicelib.services.intake' in sys.modules)"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"


# Storage's internals: its models and indexes (models.py, tables.py) and the codec between them
# and the domain's records (mapping.py). sealed.py, the key rotation's, is a storage module of its own.
_STORAGE_INTERNALS = ("chalicelib.storage.models", "chalicelib.storage.tables", "chalicelib.storage.mapping")


def _outside_storage() -> list[Path]:
    """Every production module but storage's own: the package, the wiring, the tools."""
    paths = [ROOT / "app.py"]
    for base in (PACKAGE, "infra", "bench"):
        paths += [p for p in (ROOT / base).rglob("*.py") if (ROOT / PACKAGE / "storage") not in p.parents]
    return paths


def _storage_names(path: Path) -> set[str]:
    """The names a module reads off ``storage`` (``storage.get_order``, ``storage.OrderModel``…)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "storage"
    }


def test_outside_storage_no_module_touches_pynamodb_or_a_storage_model():
    # Services get the domain's records (StoredOrder, Event, a claim, a code, a key…), never an item:
    # what a table holds and how is storage's alone.
    from chalicelib import storage

    for path in _outside_storage():
        reached = {m for m in _all_imports(path) if m.split(".")[0] == "pynamodb" or m.startswith(_STORAGE_INTERNALS)}
        assert not reached, f"{path.relative_to(ROOT)} imports {sorted(reached)}"
        unknown = _storage_names(path) - set(storage.__all__)
        assert not unknown, f"{path.relative_to(ROOT)} reads storage.{sorted(unknown)}, not storage's public face"


def test_storage_public_face_names_no_model_index_or_field_list():
    from pynamodb.indexes import Index
    from pynamodb.models import Model

    from chalicelib import storage

    for name in storage.__all__:
        value = getattr(storage, name)
        assert not (isinstance(value, type) and issubclass(value, (Model, Index))), name
        assert not name.isupper(), f"storage.{name}: a constant of storage's tables"
