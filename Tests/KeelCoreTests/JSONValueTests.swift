import Testing
@testable import KeelCore

@Suite("JSONValue")
struct JSONValueTests {
    @Test("literals build the expected cases")
    func literals() throws {
        let value: JSONValue = [
            "null": nil,
            "flag": true,
            "count": 3,
            "ratio": 0.25,
            "name": "keel",
            "list": [1, "two", [false]],
            "nested": ["a": 1],
        ]
        let object = try #require(value.objectValue)
        #expect(object.keys == ["null", "flag", "count", "ratio", "name", "list", "nested"])
        #expect(value["null"] == .null)
        #expect(value["null"]?.isNull == true)
        #expect(value["flag"] == .bool(true))
        #expect(value["count"] == .number(JSONNumber(3)))
        #expect(value["ratio"]?.numberValue?.text == "0.25")
        #expect(value["name"] == .string("keel"))
        #expect(value["list"]?[1]?.stringValue == "two")
        #expect(value["list"]?[2]?[0]?.boolValue == false)
        #expect(value["nested"]?["a"]?.intValue == 1)
        #expect(value.serializedString()
            == #"{"null":null,"flag":true,"count":3,"ratio":0.25,"name":"keel","list":[1,"two",[false]],"nested":{"a":1}}"#)
    }

    @Test("accessors return nil for other cases and out-of-range indices")
    func accessorsOnWrongCases() {
        let value: JSONValue = ["a": [1, 2]]
        #expect(value["missing"] == nil)
        #expect(value[0] == nil)
        #expect(value["a"]?[2] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["a"]?["key"] == nil)
        #expect(value.stringValue == nil)
        #expect(value.intValue == nil)
        #expect(value.doubleValue == nil)
        #expect(value.boolValue == nil)
        #expect(value.arrayValue == nil)
        #expect(value.isNull == false)
        #expect(JSONValue.string("1").intValue == nil)
        #expect(JSONValue.number(2).stringValue == nil)
        #expect(value["a"]?.arrayValue == [1, 2])
    }

    @Test("numbers keep their exact source text")
    func numberExactness() throws {
        let text = #"[12345678901234567890,0.1,-0,1e400,1E-7,-12.50e+3,9007199254740993]"#
        let value = try JSONValue(parsing: text)
        #expect(value.serializedString() == text)

        let big = try #require(value[0]?.numberValue)
        #expect(big.text == "12345678901234567890")
        #expect(big.int == nil)  // beyond Int.max
        #expect(big.double == 12_345_678_901_234_567_890.0)

        #expect(value[1]?.doubleValue == 0.1)
        #expect(value[1]?.intValue == nil)

        let negativeZero = try #require(value[2]?.doubleValue)
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(value[2]?.intValue == 0)

        #expect(value[3]?.numberValue?.text == "1e400")
        #expect(value[3]?.doubleValue == nil)  // overflows Double
        #expect(value[4]?.doubleValue == 1e-7)
        #expect(value[5]?.doubleValue == -12_500)
        #expect(value[5]?.intValue == -12_500)
        #expect(value[6]?.intValue == 9_007_199_254_740_993)  // exact, though not representable as Double
    }

    @Test("number conversions and constructors")
    func numberConversions() {
        #expect(JSONNumber(42).text == "42")
        #expect(JSONNumber(-7).text == "-7")
        #expect(JSONNumber(Int.max).int == Int.max)
        #expect(JSONNumber(Int.min).int == Int.min)
        #expect(JSONNumber(0.1 as Double)?.text == "0.1")
        #expect(JSONNumber(1.0 as Double)?.text == "1.0")
        #expect(JSONNumber(1e20 as Double)?.text == "1e+20")
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(-Double.infinity) == nil)
        #expect(JSONValue(Double.nan) == .null)
        #expect(JSONValue(Double.infinity) == .null)
        #expect(JSONValue(2.5).doubleValue == 2.5)
        #expect(JSONValue(5).intValue == 5)
        #expect(JSONNumber(text: "1e2")?.int == 100)
        #expect(JSONNumber(text: "3.0")?.int == 3)
        #expect(JSONNumber(text: "1.5")?.int == nil)
        #expect(JSONNumber(text: "1e300")?.int == nil)
        #expect(JSONNumber(text: "-0.0")?.text == "-0.0")
        for invalid in ["", "01", "+1", "1.", ".5", "1e", "1e+", "--1", "0x10", "1 ", "NaN", "Infinity"] {
            #expect(JSONNumber(text: invalid) == nil, "accepted \(invalid)")
        }
        // Every Double that formats finitely must re-parse as JSON to the same value.
        for double in [0.1, 1.0 / 3.0, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, -2.5e-8, 123456789.125] {
            let number = JSONNumber(double)
            #expect(number?.double == double)
            #expect(number.flatMap { JSONNumber(text: $0.text) } != nil)
        }
    }

    @Test("withObject and withArray mutate in place and ignore other cases")
    func inPlaceMutation() {
        var body: JSONValue = ["model": "gpt-4o", "stream": true, "messages": [["role": "user"]]]
        let replaced = body.withObject { object in
            object["stream"] = false
            object["max_tokens"] = 100
            return object.count
        }
        #expect(replaced == 4)
        #expect(body.serializedString()
            == #"{"model":"gpt-4o","stream":false,"messages":[{"role":"user"}],"max_tokens":100}"#)

        var list: JSONValue = [1, 2]
        list.withArray { $0.append(3) }
        #expect(list == [1, 2, 3])

        var scalar: JSONValue = "text"
        #expect(scalar.withObject { _ in 1 } == nil)
        #expect(scalar.withArray { _ in 1 } == nil)
        #expect(scalar == "text")
    }

    @Test("description is compact JSON")
    func descriptions() {
        let value: JSONValue = ["a": [1, nil, "x\"y"]]
        #expect(value.description == #"{"a":[1,null,"x\"y"]}"#)
        let object: JSONObject = ["k": 1]
        #expect(object.description == #"{"k":1}"#)
        #expect(JSONNumber(7).description == "7")
    }
}
