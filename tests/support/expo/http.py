"""HTTP plumbing of the loopback Expo server: the threading server, the handler, replies.

Nothing here knows Expo's rules. The handler reads a request's body (Content-Length or
chunked), asks its `App` (the ExpoServer) for a `Reply`, and writes it, gzipped when the
client accepts it and it is worth it; a reply may instead stall (a timeout) or reset the
connection. Errors are answered in Expo's shape, ``{"errors": [{"code", "message"}]}``.
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
import struct
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal, Protocol, Self
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# Guards the test process against a runaway client; far above any legitimate request.
MAX_BODY_BYTES = 32 * 1024 * 1024
# Like Expo, only compress answers that are worth it (and only when the client asks).
GZIP_MIN_BYTES = 1024


class LoopbackService:
    """A service on 127.0.0.1 run by a daemon thread: start() and stop(), or a `with` block.

    start() binds and sets `_port`; the port is kept after stop(), for start() to bind again.
    """

    _port = 0

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """Return the bound port (after stop(), the one start() binds again)."""
        if not self._port:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._port


@dataclass
class Reply:
    """An HTTP answer; ``action`` other than "answer" means the request is not answered."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    action: Literal["answer", "timeout", "reset"] = "answer"
    close: bool = False


def json_reply(payload: Any, status: int = 200) -> Reply:
    """Return a JSON answer."""
    return Reply(status, json.dumps(payload).encode())


class RequestError(Exception):
    """A request-level Expo error, answered as ``{"errors": [...]}``."""

    def __init__(
        self, status: int, code: str, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def reply(self) -> Reply:
        """Return the JSON error answer."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return json_reply({"errors": [error]}, self.status)


# An endpoint answers (headers, raw body, whether it is gzipped).
Endpoint = Callable[[Message, bytes, bool], Reply]


class App(Protocol):
    """What the HTTP layer needs of the server behind it (the ExpoServer)."""

    latency: float
    timeout_seconds: float
    stopping: threading.Event

    def endpoint(self, path: str) -> Endpoint | None: ...
    def request_started(self) -> None: ...
    def request_finished(self, status: int | None) -> None: ...
    def count_gzip(self) -> None: ...
    def count_connection(self) -> None: ...


class HTTPServer(ThreadingHTTPServer):
    """A threading server that knows its app and can drop idle keep-alive sockets."""

    daemon_threads = True
    # Keep-alive handlers block on idle connections: never wait for them on close.
    block_on_close = False
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        self.app.count_connection()
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down every open connection so their handler threads end."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by its handler

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients dropping connections is routine here (timeouts, resets, stop()).
        logger.debug("error while serving %s: %r", client_address, sys.exc_info()[1])


class Handler(BaseHTTPRequestHandler):
    """Routes requests to the app and writes its replies."""

    server: HTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive, so a requests.Session reuses connections
    # Headers and body go out in separate writes; without this Nagle + delayed ACK adds ~40 ms.
    disable_nagle_algorithm = True
    server_version = "ExpoServer/1.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        # Silences http.server's stderr access log; keep it reachable through logging.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s - %s", self.address_string(), format % args)

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        app = self.server.app
        app.request_started()
        try:
            reply = self._route(app, method)
        except BaseException:  # e.g. the client vanished mid-body
            app.request_finished(None)
            raise
        if reply.action == "timeout":
            self._stall(app)
        # Book-keep before answering, so a client that reads stats after its answer sees this
        # request finished and counted.
        app.request_finished(reply.status if reply.action == "answer" else None)
        if reply.action == "reset":
            self._reset()
        elif reply.action == "answer":
            self._write(reply)

    def _route(self, app: App, method: str) -> Reply:
        """Read the body and return the reply for this request."""
        try:
            raw = self._read_body()
        except RequestError as error:
            reply = error.reply()
            reply.close = True  # the framing is unknown: the connection cannot be reused
            return reply
        path = urlsplit(self.path).path
        handler = app.endpoint(path)
        if handler is None:
            return RequestError(404, "NOT_FOUND", f"No such endpoint: {path}").reply()
        if method != "POST":
            return RequestError(405, "METHOD_NOT_ALLOWED", f"Use POST for {path}").reply()
        gzipped = "gzip" in (self.headers.get("Content-Encoding") or "").lower()
        if gzipped:
            app.count_gzip()
        try:
            reply = handler(self.headers, raw, gzipped)
        except Exception:  # a bug here must reach the client as a 500, not a hang
            logger.exception("ExpoServer failed on %s", path)
            reply = RequestError(500, "INTERNAL_SERVER_ERROR", "ExpoServer bug").reply()
        if reply.action == "answer" and app.latency > 0:
            app.stopping.wait(app.latency)
        return reply

    def _read_body(self) -> bytes:
        """Return the raw request body (Content-Length or chunked)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise RequestError(400, "VALIDATION_ERROR", "Invalid Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise RequestError(413, "PAYLOAD_TOO_LARGE", f"Body over {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        try:
            while True:
                size = int(self.rfile.readline(1024).split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                total += size
                if total > MAX_BODY_BYTES:
                    raise RequestError(
                        413, "PAYLOAD_TOO_LARGE", f"Body over {MAX_BODY_BYTES} bytes"
                    )
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)
        except ValueError:
            raise RequestError(400, "VALIDATION_ERROR", "Invalid chunked body") from None

    def _write(self, reply: Reply) -> None:
        body = reply.body
        accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        compress = accepts_gzip and reply.content_type == "application/json"
        compress = compress and len(body) >= GZIP_MIN_BYTES
        if compress:
            body = gzip.compress(body, compresslevel=1)
        self.send_response(reply.status)
        self.send_header("Content-Type", f"{reply.content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if compress:
            self.send_header("Content-Encoding", "gzip")
        if reply.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _stall(self, app: App) -> None:
        """Hold the request unanswered, then hang up (stop() cuts the wait short)."""
        app.stopping.wait(app.timeout_seconds)
        self.close_connection = True

    def _reset(self) -> None:
        """Abort the connection so the client sees ECONNRESET rather than a clean close."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # The socket's fd only closes once its makefile() reader is closed too.
        self.rfile.close()
        self.connection.close()
