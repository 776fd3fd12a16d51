"""A local stand-in for APNs: HTTP/2 over TLS that requires a client certificate, and
answers like the real service (200 with an apns-id; 400 BadDeviceToken; 410
Unregistered; 403 when the topic is not the certificate's)."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    client_subject: str


@dataclass
class FakeApns:
    certificate_file: str
    private_key_file: str
    client_ca_file: str
    # Tokens answered 410 and 400.
    unregistered: set[str] = field(default_factory=set)
    bad: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate_file, self.private_key_file)
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(self.client_ca_file)
        context.set_alpn_protocols(["h2"])
        self._context = context
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.close()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()

    def _connection(self, raw: socket.socket) -> None:
        try:
            conn = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        peer: dict[str, Any] = dict(conn.getpeercert() or {})
        subject = ",".join(f"{k}={v}" for part in peer.get("subject", ()) for (k, v) in part)
        h2c = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        h2c.initiate_connection()
        conn.sendall(h2c.data_to_send())
        streams: dict[int, dict[str, Any]] = {}
        try:
            while True:
                data = conn.recv(65535)
                if not data:
                    return
                for event in h2c.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = {"headers": dict(event.headers), "body": b""}
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id]["body"] += event.data
                        h2c.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded):
                        got = streams.pop(event.stream_id)
                        self._answer(h2c, event.stream_id, got, subject)
                conn.sendall(h2c.data_to_send())
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def _answer(
        self, h2c: h2.connection.H2Connection, stream: int, got: dict[str, Any], subject: str
    ) -> None:
        headers = got["headers"]
        path = headers.get(":path", "")
        self.received.append(Received(path, headers, got["body"], subject))
        token = path.rsplit("/", 1)[-1]
        status, reason = 200, None
        if headers.get(":method") != "POST" or not path.startswith("/3/device/"):
            status, reason = 405, "MethodNotAllowed"
        elif headers.get("apns-topic", "") not in subject:
            status, reason = 403, "TopicDisallowed"
        elif token in self.bad:
            status, reason = 400, "BadDeviceToken"
        elif token in self.unregistered:
            status, reason = 410, "Unregistered"
        body = json.dumps({"reason": reason}).encode() if reason else b""
        reply = [(":status", str(status)), ("apns-id", str(uuid.uuid4()))]
        if body:
            reply += [("content-type", "application/json"), ("content-length", str(len(body)))]
        h2c.send_headers(stream, reply, end_stream=not body)
        if body:
            h2c.send_data(stream, body, end_stream=True)
