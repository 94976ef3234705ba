"""A misbehaving HTTP server on 127.0.0.1, for the endpoint target's hostile-input tests.

:class:`HostileServer` answers every request the way its ``mode`` says:

``hang``        reads the request and never answers
``drip``        sends a status line and headers promising 1,000 bytes, then one byte per second
``500-xml``     HTTP 500 with an AWS-shaped XML error (``InternalFailure``)
``503-html``    HTTP 503 with an HTML page
``500-json``    HTTP 500 with a JSON body
``garbage``     bytes that are not HTTP, then closes
``reset``       closes the connection at once, with a TCP reset
``huge``        HTTP 200 with a body that never ends (a megabyte a write)

The server runs in a thread; :meth:`close` stops it and releases every hanging handler.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from typing import Any

__all__ = ["MODES", "HostileServer"]

MODES = ("hang", "drip", "500-xml", "503-html", "500-json", "garbage", "reset", "huge")

_BODIES = {
    "500-xml": (
        500,
        "text/xml",
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Receiver</Type>'
        b"<Code>InternalFailure</Code><Message>boom</Message></Error><RequestId>1</RequestId></ErrorResponse>",
    ),
    "503-html": (503, "text/html", b"<html><body><h1>503 Service Unavailable</h1></body></html>"),
    "500-json": (500, "application/json", b'{"message": "internal error", "code": 500}'),
}


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
            mode = self.server.mode
            if mode == "hang":
                self.server.stopping.wait()
            elif mode == "drip":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n")
                while not self.server.stopping.wait(1.0):
                    sock.sendall(b"<")
            elif mode in _BODIES:
                status, kind, body = _BODIES[mode]
                head = f"HTTP/1.1 {status} Error\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                sock.sendall(head.encode() + b"Connection: close\r\n\r\n" + body)
            elif mode == "garbage":
                sock.sendall(b"\x00\xff\xfeNOT HTTP AT ALL\r\n\r\n\x01\x02")
            elif mode == "reset":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif mode == "huge":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n")
                block = b"<a>" * (1 << 18)
                while not self.server.stopping.is_set():
                    sock.sendall(block)
        except OSError:
            pass  # the client gave up: what these tests want


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    mode = "hang"
    stopping: threading.Event


class HostileServer:
    """A :class:`_Server` on a free port of 127.0.0.1, in a thread."""

    def __init__(self, mode: str = "hang") -> None:
        assert mode in MODES, mode
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.mode = mode
        self._server.stopping = threading.Event()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    @property
    def mode(self) -> str:
        return self._server.mode

    def close(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        time.sleep(0.05)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
