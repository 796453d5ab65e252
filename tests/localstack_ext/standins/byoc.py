"""What every stand-in shares: the BYOC ping route, HTTP/1.1 keep-alive, no Nagle delay, the port to serve."""

from __future__ import annotations

import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PingHandler(BaseHTTPRequestHandler):
    """``GET /ping`` answers 200 (SageMaker's health check); a stand-in adds its own ``do_POST``."""

    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ping" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def send_empty(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve(handler: type[PingHandler]) -> None:
    """Serve on 127.0.0.1:``SCONES_ENDPOINT_PORT`` (the extension gives each stand-in its port) forever."""
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["SCONES_ENDPOINT_PORT"])), handler).serve_forever()
