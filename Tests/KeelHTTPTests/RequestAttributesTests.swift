import KeelHTTP
import Testing

@Suite struct RequestAttributesTests {
    enum NameKey: RequestAttributeKey { typealias Value = String }
    enum CountKey: RequestAttributeKey { typealias Value = Int }

    @Test func storesValuesByKeyType() {
        var attributes = RequestAttributes()
        #expect(attributes[NameKey.self] == nil)
        attributes[NameKey.self] = "team-a"
        attributes[CountKey.self] = 3
        #expect(attributes[NameKey.self] == "team-a")
        #expect(attributes[CountKey.self] == 3)
        attributes[NameKey.self] = nil
        #expect(attributes[NameKey.self] == nil)
        #expect(attributes[CountKey.self] == 3)
    }
}
