"""OTLP/JSON <-> opentelemetry-proto messages.

OTLP/JSON is the Protocol Buffers JSON mapping except that trace and span ids are hex strings
instead of base64. These helpers convert between the two so that the official
`opentelemetry-proto` classes (and `google.protobuf.json_format`) do the actual decoding.
"""
import base64
import binascii

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def _map_ids(node, convert):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key in ID_FIELDS and isinstance(value, str):
                out[key] = convert(value)
            else:
                out[key] = _map_ids(value, convert)
        return out
    if isinstance(node, list):
        return [_map_ids(item, convert) for item in node]
    return node


def hex_to_base64(value):
    return base64.b64encode(binascii.unhexlify(value)).decode("ascii")


def base64_to_hex(value):
    return base64.b64decode(value).hex()


def parse_request(document):
    """An ExportTraceServiceRequest from a decoded OTLP/JSON document (dict). Unknown fields fail."""
    message = ExportTraceServiceRequest()
    json_format.ParseDict(_map_ids(document, hex_to_base64), message)
    return message


def to_otlp_json(message):
    """The OTLP/JSON dict of a message: camelCase names, integer enums, hex ids, int64 as strings."""
    document = json_format.MessageToDict(message, use_integers_for_enums=True)
    return _map_ids(document, base64_to_hex)
