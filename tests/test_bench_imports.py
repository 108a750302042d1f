"""The bench's modules import one another without a cycle: measuring, rendering and the entry
(bench/run.py) stay apart, and each module loads on its own."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def bench_imports(path: Path) -> set[str]:
    """The bench.* modules ``path`` imports, at its top or inside a function (a cycle all the same)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("bench.")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "bench":  # from bench import actions, PROJECT_DIR: the submodules among them
                found |= {f"bench.{a.name}" for a in node.names if (BENCH / f"{a.name}.py").exists()}
            elif node.module.startswith("bench."):
                found.add(node.module)
    return found


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of ``graph`` as the modules along it ([] if there is none)."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str]:
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return []
        for imported in sorted(graph.get(module, ())):
            found = visit(imported, path + [module])
            if found:
                return found
        done.add(module)
        return []

    for module in sorted(graph):
        found = visit(module, [])
        if found:
            return found
    return []


MODULES = {f"bench.{p.stem}": bench_imports(p) for p in sorted(BENCH.glob("*.py")) if p.stem != "__init__"}


def test_the_cycle_finder_finds_one():
    assert cycle({"bench.a": {"bench.b"}, "bench.b": {"bench.c"}, "bench.c": {"bench.a"}}) == [
        "bench.a", "bench.b", "bench.c", "bench.a"
    ]
    assert cycle({"bench.a": {"bench.b"}, "bench.b": set()}) == []


def test_no_bench_module_imports_one_that_imports_it_back():
    assert cycle(MODULES) == []


def test_measuring_and_rendering_are_apart_from_the_entry():
    assert "bench.run" not in set().union(*MODULES.values())  # the entry is imported by none
    assert "bench.render" not in MODULES["bench.measure"]


def test_every_bench_module_imports_in_a_fresh_interpreter():
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run(
        [sys.executable, "-c", script, *MODULES], cwd=BENCH.parent, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr


def test_the_bench_city_takes_the_same_windows_with_caps_its_flood_never_reaches(tmp_path):
    """The bench sends hundreds of codes and submissions a minute from one address: the demo city's
    caps would answer 429 (they did), so it runs on a copy whose caps are far higher, each limit
    with the same windows (so each request makes the AWS calls a real one makes)."""
    from bench.harness import uncapped_city
    from chalicelib.city import load_city

    demo, bench = load_city("liaoyuan.yaml"), load_city(str(uncapped_city(tmp_path)))

    for kind in ("otp", "submissions", "query_codes"):
        for scope, caps in getattr(demo.limits, kind):
            raised = getattr(getattr(bench.limits, kind), scope)
            assert [span for span, _ in raised.windows] == [span for span, _ in caps.windows]
            assert all(cap >= 1000 * low for (_, cap), (_, low) in zip(raised.windows, caps.windows))
    assert bench.model_dump(exclude={"limits"}) == demo.model_dump(exclude={"limits"})
