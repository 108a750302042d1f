"""The packaged template, built once for the tests that read it (no AWS, no dependencies)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.testenv import TEST_ENV
from tests.infra.cfn import ROOT, load

TEMPLATE_NAMES = ("sam.json", "sam.yaml")


def clean_environment() -> dict[str, str]:
    """The environment without what the tests set: packaging must not depend on it, nor on AWS."""
    ours = set(TEST_ENV) | {"AUTH_ISSUER"}
    return {k: v for k, v in os.environ.items() if k not in ours and not k.startswith("AWS_")}


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> tuple[Path, dict]:
    """(path, template) of ``python -m infra.build --stage dev --template-only``: the merged, packaged template."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "infra.build", "--stage", "dev", "--out", str(out), "--template-only"],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, f"infra.build failed:\n{built.stdout}\n{built.stderr}"
    found = [out / name for name in TEMPLATE_NAMES if (out / name).exists()]
    assert len(found) == 1, f"expected one of {TEMPLATE_NAMES} in {sorted(p.name for p in out.iterdir())}"
    return found[0], load(found[0])
