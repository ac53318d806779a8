import Testing
@testable import KeelTelemetry

@Suite struct TracingContextTests {
    @Test("a valid version-00 traceparent parses and formats back unchanged")
    func roundTrip() throws {
        let header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        let context = try #require(TraceContext(traceparent: header))
        #expect(context.traceID.hex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.spanID.hex == "00f067aa0ba902b7")
        #expect(context.isSampled)
        #expect(context.isRemote)
        #expect(context.traceparent == header)
        let unsampled = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"))
        #expect(!unsampled.isSampled)
    }

    @Test("invalid traceparent values are rejected", arguments: [
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",            // no flags
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",         // all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",         // all-zero parent id
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",         // upper case
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         // forbidden version
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",   // version 00 must be exact
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",         // wrong separator
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",         // not hex
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",         // flags not hex
        "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",          // short version
        "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",        // future version: field 5 not after "-"
    ])
    func rejects(_ header: String) {
        #expect(TraceContext(traceparent: header) == nil)
    }

    @Test("a future version is parsed by its first four fields")
    func futureVersion() throws {
        let context = try #require(TraceContext(traceparent: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-the-future-holds"))
        #expect(context.traceID.hex == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(context.flags.rawValue == 0x09)
        // Propagated as version 00 with only the defined flags.
        #expect(context.traceparent == "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    }

    @Test("tracestate is validated, kept in order and re-serialised")
    func traceState() throws {
        let context = try #require(TraceContext(
            traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            tracestate: "rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE,,tenant@vendor=x"
        ))
        #expect(context.traceState.entries.map(\.key) == ["rojo", "congo", "tenant@vendor"])
        #expect(context.traceState["congo"] == "t61rcWkgMzE")
        #expect(context.tracestate == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,tenant@vendor=x")
    }

    @Test("an invalid tracestate is dropped without invalidating traceparent", arguments: [
        "Upper=1", "a=1,a=2", "a", "a=b,c", "a=x\ty", "1a=x", "a=x,=y", "a@=x",
        (0..<33).map { "k\($0)=v" }.joined(separator: ","),
    ])
    func invalidTraceState(_ header: String) throws {
        #expect(TraceState(header: header) == nil)
        let context = try #require(TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate: header))
        #expect(context.traceState.isEmpty)
        #expect(context.tracestate == nil)
    }

    @Test("ids: hex and byte forms agree, zero is invalid, generated ids are distinct and valid")
    func ids() throws {
        let trace = try #require(TraceID(hex: "0102030405060708090a0b0c0d0e0f10"))
        #expect(trace.bytes == Array(1...16))
        #expect(TraceID(bytes: Array(1...16) as [UInt8]) == trace)
        #expect(!TraceID.invalid.isValid)
        #expect(SpanID(hex: "00000000000000ff")?.value == 255)
        #expect(SpanID(bytes: [0, 0, 0, 0, 0, 0, 1, 0])?.value == 256)
        #expect(!SpanID.invalid.isValid)
        let generator = TraceIDGenerator(seed: 42)
        var seen = Set<UInt64>()
        for _ in 0..<10_000 {
            let id = generator.spanID()
            #expect(id.isValid)
            seen.insert(id.value)
        }
        #expect(seen.count == 10_000)
        #expect(TraceID.random() != TraceID.random())
        #expect(TraceID.random().isValid)
    }
}
