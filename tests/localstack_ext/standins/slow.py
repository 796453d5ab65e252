"""A model container that takes ``SLOW_SECONDS`` (default 3) to answer: the invoke timeout's test subject."""

from __future__ import annotations

import os
import time

from tests.localstack_ext.standins.byoc import PingHandler, serve


class SlowHandler(PingHandler):
    def do_POST(self) -> None:
        self.read_body()
        time.sleep(float(os.environ.get("SLOW_SECONDS", "3")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")


if __name__ == "__main__":
    serve(SlowHandler)
