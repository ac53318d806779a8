#!/usr/bin/env python3
"""A stand-in OpenAI-compatible upstream for bench/routing.sh.

POST /v1/chat/completions answers a fixed chat completion after a delay chosen by the request's
`model`:
  fixed-N        every answer after N ms
  tail-P-N-M     P% of answers after M ms (drawn at random, seeded), the others after N ms
Threaded, keep-alive (HTTP/1.1), quiet. Usage: upstream.py PORT [SEED]
"""
import json
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
RNG = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
LOCK = threading.Lock()


def delay_ms(model: str) -> float:
    parts = model.split("-")
    if parts[0] == "fixed":
        return float(parts[1])
    if parts[0] == "tail":
        percent, normal, slow = float(parts[1]), float(parts[2]), float(parts[3])
        with LOCK:
            draw = RNG.random() * 100
        return slow if draw < percent else normal
    return 0.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK add 40 ms to every answer.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        model = request.get("model", "")
        time.sleep(delay_ms(model) / 1000)
        body = json.dumps({
            "id": "chatcmpl-bench", "object": "chat.completion", "created": 1700000000, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello, world!"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 4, "total_tokens": 16},
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a hedge that lost: Keel closed the connection


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # cancelled attempts close their connections mid-answer


Server(("127.0.0.1", PORT), Handler).serve_forever()
