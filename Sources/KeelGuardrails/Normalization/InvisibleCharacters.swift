/// Characters that change how text is read by a model without being visible to a person.
enum InvisibleCharacters {
    /// The kind of an invisible character, as reported by the `invisible_text` detector.
    static func kind(_ value: UInt32) -> String? {
        switch value {
        case 0x200B, 0x200C, 0x200D, 0x2060...0x2064, 0xFEFF, 0x180E, 0x00AD, 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0:
            "ZERO_WIDTH"
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x061C:
            "BIDI_CONTROL"
        case 0xE0000...0xE007F:
            "TAG_CHARACTER"
        case 0xE0100...0xE01EF:
            "VARIATION_SELECTOR"
        default:
            nil
        }
    }
}
