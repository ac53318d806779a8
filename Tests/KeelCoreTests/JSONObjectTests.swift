import Testing
@testable import KeelCore

@Suite("JSONObject")
struct JSONObjectTests {
    @Test("parsed objects keep the source key order")
    func sourceOrder() throws {
        let text = #"{"zeta":1,"alpha":2,"mid":3,"Beta":4,"_":5}"#
        let value = try JSONValue(parsing: text)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid", "Beta", "_"])
        #expect(value.serializedString() == text)
        #expect(value.objectValue?.map(\.key) == ["zeta", "alpha", "mid", "Beta", "_"])
        #expect(value.objectValue?.values == [1, 2, 3, 4, 5])
    }

    @Test("duplicate keys: last value wins at the first key's position", arguments: [3, 40])
    func duplicateKeys(size: Int) throws {
        // Small objects use a linear scan, large ones an index: both must agree.
        var members = (0..<size).map { #""k\#($0)":\#($0)"# }
        members.insert(#""k1":"again""#, at: members.count)
        members.insert(#""k0":"last""#, at: members.count)
        let value = try JSONValue(parsing: "{" + members.joined(separator: ",") + "}")
        let object = try #require(value.objectValue)
        #expect(object.count == size)
        #expect(object.keys == (0..<size).map { "k\($0)" })
        #expect(object["k0"] == "last")
        #expect(object["k1"] == "again")
        #expect(object["k2"] == 2)
        #expect(object[object.index(object.startIndex, offsetBy: 1)].value == "again")
    }

    @Test("setting replaces in place, new keys append, nil removes", arguments: [4, 30])
    func mutation(size: Int) {
        var object = JSONObject()
        for index in 0..<size {
            object["key\(index)"] = .number(JSONNumber(index))
        }
        #expect(object.count == size)
        object["key1"] = "replaced"
        #expect(object.keys[1] == "key1")
        #expect(object["key1"] == "replaced")
        object["new"] = true
        #expect(object.keys.last == "new")
        #expect(object.count == size + 1)

        #expect(object.removeValue(forKey: "key0") == 0)
        #expect(object.removeValue(forKey: "key0") == nil)
        #expect(object["key0"] == nil)
        #expect(object.keys.first == "key1")
        #expect(object["new"] == true)
        object["key2"] = nil
        #expect(object.contains(key: "key2") == false)
        #expect(object.count == size - 1)
        // Positions stay right after removals (the index, when present, is rebuilt).
        for (position, member) in object.enumerated() {
            #expect(object.position(ofKey: member.key) == position)
        }
        #expect(object.updateValue(5, forKey: "new") == true)
        #expect(object.updateValue(6, forKey: "fresh") == nil)
        object.removeAll()
        #expect(object.isEmpty)
        #expect(object["key1"] == nil)
    }

    @Test("shrinking below the index threshold and growing again keeps lookups right")
    func indexTransitions() {
        let size = JSONObject.indexThreshold + 3
        var object = JSONObject(minimumCapacity: size)
        for index in 0..<size { object["k\(index)"] = .number(JSONNumber(index)) }
        for index in stride(from: 0, to: size, by: 2) { object.removeValue(forKey: "k\(index)") }
        for index in 0..<size {
            #expect(object["k\(index)"] == (index % 2 == 0 ? nil : .number(JSONNumber(index))))
        }
        for index in size..<(2 * size) { object["k\(index)"] = .string("v\(index)") }
        #expect(object["k\(2 * size - 1)"] == .string("v\(2 * size - 1)"))
        #expect(object["k1"] == 1)
    }

    @Test("equality and hashing ignore member order")
    func equality() throws {
        let first = try JSONValue(parsing: #"{"a":1,"b":[true,null],"c":{"x":"y"}}"#)
        let second = try JSONValue(parsing: #"{"c":{"x":"y"},"a":1,"b":[true,null]}"#)
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(Set([first, second]).count == 1)
        #expect(first != (try JSONValue(parsing: #"{"a":1,"b":[null,true],"c":{"x":"y"}}"#)))
        #expect(first != (try JSONValue(parsing: #"{"a":1,"b":[true,null]}"#)))
        #expect(first != (try JSONValue(parsing: #"{"a":1,"b":[true,null],"d":{"x":"y"}}"#)))
        // Numbers compare by text.
        #expect(JSONValue.number(1) != (try JSONValue(parsing: "1.0")))
    }

    @Test("building from pairs")
    func fromPairs() {
        let object = JSONObject([("b", 1), ("a", 2), ("b", 3)])
        #expect(object.keys == ["b", "a"])
        #expect(object["b"] == 3)
        let literal: JSONObject = ["x": "y", "n": nil]
        #expect(literal.count == 2)
        #expect(literal["n"] == .null)
        #expect(literal["x"] == "y")
    }
}
