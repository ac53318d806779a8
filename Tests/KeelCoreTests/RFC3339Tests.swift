import KeelCore
import Testing

@Suite("RFC3339")
struct RFC3339Tests {
    @Test func formatsUTCWithAndWithoutMilliseconds() {
        #expect(RFC3339.format(seconds: 0) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(seconds: 1_795_500_791, milliseconds: 7) == "2026-11-24T06:13:11.007Z")
        #expect(RFC3339.format(seconds: 951_782_400) == "2000-02-29T00:00:00Z")
        #expect(RFC3339.now().hasSuffix("Z") && RFC3339.now().count == 24)
    }
}
