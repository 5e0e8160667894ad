"""A small HTTP fault proxy for DynamoDB on loopback: sits between boto3 and a moto server and, per request,
passes it on or injects a fault. Used by the reliability harness (benchmarks/reliability_faults.py) and tests.

Faults (per DynamoDB operation, from ``X-Amz-Target``):

    pass       forward to the upstream and relay its answer
    throttle   answer 400 ThrottlingException (the request never reaches the store)
    error500   answer 500 InternalServerError;   error503: 503 ServiceUnavailable
    reset      close the connection with a TCP reset before answering (never reaches the store)
    stall      hold the request ``stall_s`` seconds, then close without an answer (never reaches the store)
    trickle    forward it, then relay the answer one byte every ``trickle_s`` seconds
    late       hold it ``late_s`` seconds (the client gives up first), then forward it: a write applied late

``FaultProxy.rules`` is a list of ``Rule(operation, fault, times)`` consumed in order (``times`` = how many
matching requests it applies to; None = all); ``FaultProxy.chooser`` (a callable ``(operation) -> fault``) decides
when no rule matches. Only 127.0.0.1 is ever bound or contacted.
"""

from __future__ import annotations

import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("pass", "throttle", "error500", "error503", "reset", "stall", "trickle", "late")


@dataclass
class Rule:
    operation: str  # "GetItem", "UpdateItem", ..., "write" (PutItem or UpdateItem) or "*"
    fault: str
    times: int | None = 1


class FaultProxy:
    def __init__(self, upstream_port: int, *, stall_s: float = 3.0, trickle_s: float = 0.5, late_s: float = 3.0,
                 chooser: Callable[[str], str] | None = None) -> None:
        self.upstream_port = upstream_port
        self.stall_s, self.trickle_s, self.late_s = stall_s, trickle_s, late_s
        self.chooser = chooser
        self.rules: list[Rule] = []
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.late_pending = 0
        self.late_done = threading.Condition(self.lock)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                proxy._handle(self)

            def do_GET(self) -> None:
                proxy._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)

    # -- control --
    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, operation: str, fault: str, times: int | None = 1) -> None:
        assert fault in FAULTS, fault
        with self.lock:
            self.rules.append(Rule(operation, fault, times))

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def wait_late_writes(self, timeout: float = 30.0) -> bool:
        """Block until every "late" request has been forwarded (True) or the timeout passes (False)."""
        with self.late_done:
            return self.late_done.wait_for(lambda: self.late_pending == 0, timeout)

    def _fault_for(self, operation: str) -> str:
        with self.lock:
            for rule in self.rules:
                if rule.operation in (operation, "*") or (
                    rule.operation == "write" and operation in ("PutItem", "UpdateItem")
                ):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self.rules.remove(rule)
                    fault = rule.fault
                    break
            else:
                fault = self.chooser(operation) if self.chooser else "pass"
            key = f"{operation}:{fault}"
            self.counts[key] = self.counts.get(key, 0) + 1
            if fault == "late":
                self.late_pending += 1
            return fault

    # -- one request --
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        target = h.headers.get("X-Amz-Target") or ""
        operation = target.rsplit(".", 1)[-1] if target else "other"
        fault = self._fault_for(operation)
        if fault == "throttle":
            return self._error(h, 400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "Rate exceeded")
        if fault in ("error500", "error503"):
            status = 500 if fault == "error500" else 503
            kind = "InternalServerError" if status == 500 else "ServiceUnavailable"
            return self._error(h, status, f"com.amazonaws.dynamodb.v20120810#{kind}", kind)
        if fault == "reset":
            return self._reset(h)
        if fault == "stall":
            time.sleep(self.stall_s)
            h.close_connection = True
            return None
        if fault == "late":
            time.sleep(self.late_s)
            try:
                status, headers, payload = self._forward(h, body)
            finally:
                with self.late_done:
                    self.late_pending -= 1
                    self.late_done.notify_all()
            h.close_connection = True  # the client gave up long ago
            return None
        status, headers, payload = self._forward(h, body)
        h.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                h.send_header(name, value)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if fault == "trickle":
            for i in range(len(payload)):
                try:
                    h.wfile.write(payload[i : i + 1])
                    h.wfile.flush()
                except OSError:
                    break
                time.sleep(self.trickle_s)
            h.close_connection = True
        else:
            h.wfile.write(payload)
        return None

    def _forward(self, h: BaseHTTPRequestHandler, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "connection")}
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    @staticmethod
    def _error(h: BaseHTTPRequestHandler, status: int, kind: str, message: str) -> None:
        payload = json.dumps({"__type": kind, "message": message}).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/x-amz-json-1.0")
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)

    @staticmethod
    def _reset(h: BaseHTTPRequestHandler) -> None:
        sock: socket.socket = h.connection
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.close_connection = True
        sock.close()


def moto_server() -> Any:
    """A moto DynamoDB server on 127.0.0.1 (ephemeral port), started."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server


def moto_port(server: Any) -> int:
    port: int = server.get_host_and_port()[1]
    return port


class MotoProcess:
    """A moto server in a process of its own on 127.0.0.1 (its own interpreter, as DynamoDB is its own service):
    for the harness, so the store does not share a GIL with the conversations it serves."""

    def __init__(self) -> None:
        import subprocess
        import sys

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port: int = s.getsockname()[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("the moto server did not start") from None
                time.sleep(0.1)

    def get_host_and_port(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def create_table(endpoint: str, table: str, region: str = "us-east-1") -> None:
    import boto3

    client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint, aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
