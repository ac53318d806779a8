import Testing
@testable import KeelGateway

@Suite("Request recorder")
struct RequestRecorderTests {
    @Test("costs are written as decimal dollars with up to nine decimals", arguments: [
        (Int64(0), "0.0"),
        (1, "0.000000001"),
        (1_500_000, "0.0015"),
        (2_000_000_000, "2.0"),
        (12_345_678_901, "12.345678901"),
        (100_000_000, "0.1"),
        (-2_500_000_000, "-2.5"),
    ])
    func dollars(nanos: Int64, expected: String) {
        #expect(RequestRecorder.dollars(nanos: nanos) == expected)
    }
}
