"""The local stack: everything `make run` starts, in one process, with no AWS account.

- a moto server on 127.0.0.1 standing in for DynamoDB, S3 and Cognito (data lives in
  memory: a restart starts from an empty city);
- the tables and the media bucket, created as the code declares them;
- the staff user pool in moto's Cognito with the demo accounts (infra/staff_pool.py),
  whose ID tokens (moto's, valid an hour) are written to ``<state dir>/tokens.json``,
  with an API key of the 12345 hotline's partner channel as ``"api_key:hotline"`` (for
  its native submissions and Open311 under http://127.0.0.1:8000/open311/v2);
- the sign-in page moto lacks (infra/issuer.py), which the staff pages use;
- the API and the web pages at http://127.0.0.1:8000 (``/``, ``/staff``,
  ``/dashboard``, ``/cases``), served by Chalice's local server from the very ``app``
  object that deploys;
- what Lambda would do besides (infra/drivers.py): every second the outbox's stream
  is relayed to the notify queue and the queue delivered; every minute the
  ``escalate`` schedule runs. SMS are printed, one line each: ``SMS <number> <text>``.

Ports and the state directory can be changed (the end-to-end test runs a second
stack beside a developer's). ``python -m infra.local --help`` lists the options.
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import secrets
import signal
import sys
from pathlib import Path

from infra.issuer import SignInPage
from infra.staff_pool import StaffPool, create_staff_pool

DEMO_HANDLER_UNITS = ("lsq", "lsq-cg", "lsq-xy", "xaq-cg", "cgj", "jj")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description="Run Suqiu's local stack.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="the API (default 8000)")
    parser.add_argument("--aws-port", type=int, default=4566, help="the moto server (default 4566)")
    parser.add_argument("--issuer-port", type=int, default=8001, help="the staff sign-in page (default 8001)")
    parser.add_argument("--state-dir", type=Path, default=Path(".local"), help="the demo tokens")
    return parser.parse_args(argv)


def _aws_environment(args: argparse.Namespace) -> None:
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            # boto3 and pynamodb both send every call to the moto server.
            "AWS_ENDPOINT_URL": f"http://{args.host}:{args.aws_port}",
            # moto does not match botocore's account-based endpoints.
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        }
    )


def _app_environment(pool: StaffPool, sign_in: SignInPage) -> None:
    os.environ.update(
        {
            "STAGE": "local",
            "TABLE_PREFIX": "suqiu-local",
            "MEDIA_BUCKET": "suqiu-local-media",
            # A new key each run: moto keeps nothing across restarts, so nothing needs the old one.
            "FIELD_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
            # What moto's Cognito puts in its tokens: the cloud's issuer, the app client as audience;
            # the key set, though, is on the moto server.
            "AUTH_ISSUER": pool.issuer,
            "AUTH_AUDIENCE": pool.client_id,
            "AUTH_JWKS_URL": pool.jwks_url(os.environ["AWS_ENDPOINT_URL"]),
            "STAFF_USER_POOL_ID": pool.pool_id,
            # The staff pages sign in through the sign-in page's authorization code flow.
            "AUTH_AUTHORIZE_URL": sign_in.authorize_url,
            "AUTH_TOKEN_URL": sign_in.token_url,
            "POWERTOOLS_SERVICE_NAME": "suqiu",
            "POWERTOOLS_METRICS_NAMESPACE": "SuqiuLocal",
            # Metrics go to CloudWatch in the cloud; locally they would only flood the console.
            "POWERTOOLS_METRICS_DISABLED": "true",
            "SMS_SENDER": "console",
        }
    )


def create_local_resources(browser_origins: tuple[str, ...] = ()) -> None:
    """The tables, the notify and imports queues and the media bucket, as the code declares them, in moto."""
    from chalicelib import storage
    from chalicelib.adapters import queue
    from chalicelib.adapters.media import get_media_store

    storage.create_tables()
    queue.ensure_queue()
    queue.ensure_queue(queue.IMPORTS)
    get_media_store().ensure_bucket(browser_origins)


DEMO_CHANNEL = "hotline"


def demo_api_key() -> str:
    """A fresh API key of the demo partner channel (the 12345 hotline), issued as an administrator would."""
    from chalicelib.domain.orders import Actor, Role
    from chalicelib.services import channels

    return channels.issue_key(Actor(Role.ADMIN, "local-stack"), DEMO_CHANNEL, "本地演示").api_key


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    args.state_dir.mkdir(parents=True, exist_ok=True)

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log would drown the API's
    moto_server = ThreadedMotoServer(ip_address=args.host, port=args.aws_port, verbose=False)
    moto_server.start()
    _aws_environment(args)
    pool = create_staff_pool(DEMO_HANDLER_UNITS)
    sign_in = SignInPage(pool, host=args.host, port=args.issuer_port).start()
    _app_environment(pool, sign_in)

    # Imported only now: the settings, pynamodb and Powertools read the environment at import.
    from chalice.config import Config
    from chalice.local import create_local_server

    from app import app
    from chalicelib import storage
    from chalicelib.settings import get_settings
    from infra.drivers import Pump, QueueDriver, ScheduleDriver, StreamDriver

    settings = get_settings()
    create_local_resources(browser_origins=("*",))  # the residents' page may be served from anywhere locally
    pumps = [
        Pump(StreamDriver(app, storage.table_name("outbox")), seconds=1),
        Pump(QueueDriver(app, settings.notify_queue), seconds=1),
        Pump(QueueDriver(app, settings.imports_queue, function_name="import_rows", batch_size=1), seconds=1),
        Pump(ScheduleDriver(app, "escalate"), seconds=60),
    ]
    for pump in pumps:
        pump.start()
    tokens = {**pool.demo_tokens(), f"api_key:{DEMO_CHANNEL}": demo_api_key()}
    tokens_file = args.state_dir / "tokens.json"
    tokens_file.write_text(json.dumps(tokens, indent=2, ensure_ascii=False))

    config = Config.create(chalice_stage="dev", app_name="suqiu", chalice_app=app, project_dir=os.getcwd())
    server = create_local_server(app, config, args.host, args.port)
    api = f"http://{args.host}:{args.port}"
    token_lines = "\n".join(f"    {name:<16} {token}" for name, token in tokens.items())
    print(
        f"""
Suqiu local stack
  pages          {api}/  (residents)   {api}/staff  (console)   {api}/dashboard   {api}/cases
  API            {api}/api/v1/catalog
  Open311        {api}/open311/v2/discovery.json
  AWS (moto)     http://{args.host}:{args.aws_port}   tables {settings.table_prefix}-*, bucket {settings.media_bucket}
  staff pool     {pool.pool_id}   app client {pool.client_id}   demo accounts' password: demo
  sign-in page   {sign_in.authorize_url}
  demo tokens    {tokens_file}   (valid an hour: restart for new ones)
{token_lines}

Try:
  TOKEN=$(python3 -c "import json;print(json.load(open('{tokens_file}'))['dispatcher'])")
  curl -s -H "Authorization: Bearer $TOKEN" {api}/api/v1/staff/requests
""",
        flush=True,
    )

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for pump in pumps:
            pump.stop()
        sign_in.stop()
        moto_server.stop()
        print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()
