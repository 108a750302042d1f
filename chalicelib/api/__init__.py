"""The HTTP layer: thin handlers over the services.

One Lambda serves every route, so ``app.py`` loads each group of handlers on
first use: a container that only ever tracks requests never imports the staff
side (token verification, the action models), and a cold start pays only for
the route it answers.
"""
from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy(name: str) -> ModuleType:
    """The module ``name``, executed when one of its attributes is first used."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
