"""A minimal OTLP/HTTP trace receiver for tests: decodes every export with the official
opentelemetry-proto classes and writes one JSON line per received span.

    python receiver.py --port 0 --out spans.jsonl [--fail-first N]

Prints the bound port on stdout. Accepts POST /v1/traces with `application/x-protobuf` or
`application/json` (OTLP/JSON), answers 200 with an empty ExportTraceServiceResponse in the same
encoding, 400 for a body that does not decode and 415 for another content type. With
--fail-first N the first N requests get `503` and `Retry-After: 0`, to exercise retries.
"""
import argparse
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from otlp_json import parse_request


def any_value(value):
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value) for kv in value.kvlist_value.values}
    if kind is None:
        return None
    return getattr(value, kind)


def attributes(pairs):
    return {kv.key: any_value(kv.value) for kv in pairs}


def span_records(request, content_type):
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = {"name": scope_spans.scope.name, "version": scope_spans.scope.version}
            for span in scope_spans.spans:
                yield {
                    "content_type": content_type,
                    "resource": resource,
                    "scope": scope,
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "trace_state": span.trace_state,
                    "flags": span.flags,
                    "name": span.name,
                    "kind": span.kind,
                    "start_time_unix_nano": span.start_time_unix_nano,
                    "end_time_unix_nano": span.end_time_unix_nano,
                    "attributes": attributes(span.attributes),
                    "events": [
                        {"name": e.name, "time_unix_nano": e.time_unix_nano, "attributes": attributes(e.attributes)}
                        for e in span.events
                    ],
                    "links": [
                        {"trace_id": l.trace_id.hex(), "span_id": l.span_id.hex(), "attributes": attributes(l.attributes)}
                        for l in span.links
                    ],
                    "status": {"code": span.status.code, "message": span.status.message},
                }


class Receiver(BaseHTTPRequestHandler):
    lock = threading.Lock()
    out = None
    failures_left = 0

    def log_message(self, fmt, *args):
        sys.stderr.write("receiver: " + (fmt % args) + "\n")

    def reply(self, status, content_type, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/traces":
            self.reply(404, "text/plain", b"not found")
            return
        with Receiver.lock:
            if Receiver.failures_left > 0:
                Receiver.failures_left -= 1
                self.reply(503, "text/plain", b"try again", [("Retry-After", "0")])
                return
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            if content_type == "application/x-protobuf":
                request = ExportTraceServiceRequest.FromString(body)
                response = ExportTraceServiceResponse().SerializeToString()
            elif content_type == "application/json":
                request = parse_request(json.loads(body))
                response = b"{}"
            else:
                self.reply(415, "text/plain", b"unsupported content type")
                return
        except (DecodeError, ValueError) as error:
            self.log_message("undecodable %s body: %s", content_type, error)
            self.reply(400, "text/plain", str(error).encode())
            return
        with Receiver.lock:
            for record in span_records(request, content_type):
                Receiver.out.write(json.dumps(record, sort_keys=True) + "\n")
            Receiver.out.flush()
        self.reply(200, content_type, response)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    Receiver.out = open(args.out, "a", encoding="utf-8")
    Receiver.failures_left = args.fail_first
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Receiver)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
