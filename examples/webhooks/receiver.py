"""A webhook receiver with the standard library and oncely only (WSGI, run by
``wsgiref``): every delivery is verified (Standard Webhooks) and processed
once per event id through ``oncely.WebhookInbox``.

    python examples/webhooks/receiver.py --secret whsec_... [--store sqlite:hooks.db] [--port 0]

prints ``listening on http://127.0.0.1:PORT/webhooks``. ``GET /handled`` lists
the events the handler ran for (the "effect" of this example), so a test can
count how often each one was handled.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import oncely

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error"}


class Receiver:
    """The WSGI application: ``POST /webhooks`` and ``GET /handled``."""

    def __init__(self, inbox: oncely.WebhookInbox) -> None:
        self.inbox = inbox
        self.handled: list[dict[str, str]] = []
        self._lock = threading.Lock()

    def _answer(self, start: StartResponse, status: int, body: Any) -> Iterable[bytes]:
        data = json.dumps(body).encode()
        start(f"{status} {REASONS.get(status, 'Status')}", [("content-type", "application/json")])
        return [data]

    def __call__(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if (method, path) == ("GET", "/handled"):
            with self._lock:
                return self._answer(start, 200, {"handled": list(self.handled)})
        if (method, path) != ("POST", "/webhooks"):
            return self._answer(start, 404, {"error": "not found"})
        # WSGI spells request headers HTTP_WEBHOOK_ID: back to their names.
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)

        def handle(event: dict[str, Any]) -> dict[str, str]:
            kind = str(json.loads(body).get("type", "unknown"))
            with self._lock:
                self.handled.append({"id": event["id"], "type": kind})
            return {"type": kind}

        try:
            receipt = self.inbox.receive(headers, body, handle)
        except oncely.WebhookError as error:
            return self._answer(start, error.http_status, {"error": error.kind, "detail": str(error)})
        return self._answer(start, receipt["http_status"], {"status": receipt["status"]})


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve(receiver: Receiver, port: int = 0) -> tuple[str, Callable[[], None]]:
    """Serves ``receiver`` on 127.0.0.1 in a thread; returns its URL and a stop function."""
    server = make_server("127.0.0.1", port, receiver, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://127.0.0.1:{server.server_port}/webhooks", stop


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret", required=True, help="the signing secret, whsec_<base64>")
    parser.add_argument(
        "--store", default="sqlite:webhooks.db", help="the inbox's SQLite file or postgres:// URL"
    )
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    receiver = Receiver(oncely.WebhookInbox(args.store, secret=args.secret))
    server = make_server("127.0.0.1", args.port, receiver, handler_class=_Quiet)
    print(f"listening on http://127.0.0.1:{server.server_port}/webhooks", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
