"""A streaming model container: ``/invocations-response-stream`` answers in event-stream frames, paced.

The first part echoes the request body (so the request is checked byte for byte too), then ``PARTS`` follow
``PACE`` seconds apart: a gateway that buffers would deliver them all at once at the end. The body is
chunked, as uvicorn frames it, unless the custom attributes ask for ``framing=close`` (the body then ends
when the connection closes): how a container frames its body must not matter.
"""

from __future__ import annotations

import time

from tests.localstack_ext.standins.byoc import PingHandler, serve
from tests.localstack_ext.standins.eventstream import event_frame

PARTS = (b'{"token": "a"}\n', b"\x00\xff\x10 not utf-8 \xfe", b"", b'{"token": "end"}\n')
PACE = 0.2


class StreamingHandler(PingHandler):
    def do_POST(self) -> None:
        body = self.read_body()
        if not self.path.endswith("/invocations-response-stream"):
            self.send_empty(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.amazon.eventstream")
        self.send_header("X-Amzn-SageMaker-Content-Type", "application/jsonlines")
        self.send_header("x-Amzn-Invoked-Production-Variant", "AllTraffic")
        chunked = "framing=close" not in self.headers.get("X-Amzn-SageMaker-Custom-Attributes", "")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        for i, part in enumerate((body, *PARTS)):
            if i:
                time.sleep(PACE)
            frame = event_frame(part)
            self.wfile.write(b"%x\r\n" % len(frame) + frame + b"\r\n" if chunked else frame)
            self.wfile.flush()
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        self.close_connection = not chunked


if __name__ == "__main__":
    serve(StreamingHandler)
