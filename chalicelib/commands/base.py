"""What every request model shares: no unknown field, a built-on-first-use validator, the codes' shape."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from chalicelib.domain.bounds import CODE_MAX

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=CODE_MAX)]
UploadId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Body(BaseModel):
    # defer_build: a model's validator is built when first used, not on every cold start.
    model_config = ConfigDict(extra="forbid", defer_build=True)
