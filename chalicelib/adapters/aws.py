"""botocore sessions that share one data loader.

pynamodb gives every model class a botocore session of its own, and boto3 and
Powertools make theirs; each session parses the service description and the
endpoint tables again, tens of milliseconds a time on a cold start. Sessions
from here share one loader, so each file is parsed once per container. The
loader only reads and caches files, so sharing it between threads is safe
(sessions themselves are not shared).
"""
from __future__ import annotations

import botocore.loaders
import botocore.session

_LOADER = botocore.loaders.create_loader()


def botocore_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.register_component("data_loader", _LOADER)
    return session


def boto3_client(service: str, **kwargs):
    import boto3

    return boto3.session.Session(botocore_session=botocore_session()).client(service, **kwargs)
