"""The Open311 API over the app's HTTP client."""
from __future__ import annotations

import pytest

from tests.open311.helpers import Open311


@pytest.fixture
def o311(api) -> Open311:
    return Open311(api)
