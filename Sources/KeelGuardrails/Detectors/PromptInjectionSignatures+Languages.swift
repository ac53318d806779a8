/// Instruction-override and system-prompt-extraction signatures in eleven more languages: German,
/// French, Spanish, Italian, Portuguese, Dutch, Polish, Russian, Chinese, Japanese and Korean. Each
/// says "ignore the previous instructions" or "show me your system prompt" in that language's own
/// grammar, so a user who withdraws their own message ("ignoriere meine letzte Nachricht") does not
/// match, as in English.
///
/// Accented letters are written without their accent (``unaccented(_:)``) and these signatures
/// are matched on the folded text too, where "précédentes" and "PRÉCÉDENTES" read "precedentes";
/// a match there is not counted as obfuscated, as an accent is how these languages are written.
/// Cyrillic, Chinese, Japanese and Korean are matched as written, on the text itself.
extension PromptInjectionSignatures {
    static let otherLanguages: [Signature] = [
        override(#"(?:ignorier(?:e|t|en\s+sie)?|vergiss|vergesst|vergessen\s+sie|missachte(?:t|n\s+sie)?|überspring(?:e|t|en\s+sie)?|übergeh(?:e|t|en\s+sie)?|verwirf|verwerfen\s+sie)\s+(?:(?:alle[nrs]?|sämtliche[n]?|die|der|den|deine[n]?|ihre[n]?|eure|diese[n]?|jegliche[n]?)\s+)*(?:vorherige[n]?|vorige[n]?|bisherige[n]?|obige[n]?|frühere[n]?|ursprüngliche[n]?|vorangegangene[n]?|vorstehende[n]?|alle[n]?|sämtliche[n]?|deine[n]?|ihre[n]?)\s+(?:system-?)?(?:anweisungen|instruktionen|anordnungen|befehle|regeln|vorgaben|richtlinien|prompts?|beschränkungen|einschränkungen)"#),
        override(#"(?:vergiss|vergesst|vergessen\s+sie|ignoriere|ignorieren\s+sie)\s+alles,?\s+(?:was\s+(?:dir|ihnen|euch|man\s+dir)\s+(?:vorher|bisher|zuvor)|was\s+(?:oben|vorher|bisher|zuvor)\s+steht)"#, weight: 0.85),
        override(#"(?:ignore[sz]?|oublie[sz]?|ne\s+tiens\s+(?:pas|plus)\s+compte|ne\s+tenez\s+(?:pas|plus)\s+compte|fais\s+abstraction|faites\s+abstraction|passe[sz]?\s+outre|outrepasse[sz]?|contourne[sz]?)(?:\s+(?:de|des|du|à|aux)|\s+d')?\s*(?:(?:toutes?|tous|les|tes|vos|ces|la|le|ta|ton|votre)\s+|l')*(?:instructions?|consignes?|directives?|règles|ordres|commandes|prompts?|indications|restrictions)\s+(?:précédentes?|antérieures?|ci-dessus|plus\s+haut|d'origine|initiales?|originales?|du\s+système|système|d'avant|reçues)"#),
        override(#"(?:ignore[sz]?|oublie[sz]?|ne\s+tiens\s+(?:pas|plus)\s+compte|ne\s+tenez\s+(?:pas|plus)\s+compte|passe[sz]?\s+outre)(?:\s+(?:de|à))?\s+(?:toutes|tous)\s+(?:tes|vos)\s+(?:instructions|consignes|directives|règles|restrictions)"#, weight: 0.85),
        override(#"(?:ignora|ignore|ignoren|ignorad|olvida|olvide|olviden|olvidad|omite|omita|descarta|descarte|desatiende|desobedece|haz\s+caso\s+omiso\s+(?:a|de)|no\s+(?:sigas|sigan|siga|obedezcas|obedezca|hagas\s+caso\s+(?:a|de)))\s+(?:(?:todas|todos|las|los|tus|sus|estas|esas|a)\s+)*(?:instrucciones|indicaciones|órdenes|reglas|directrices|directivas|prompts?|comandos|restricciones|normas)\s+(?:anteriores|previas|precedentes|de\s+arriba|originales|iniciales|del\s+sistema|de\s+sistema|que\s+(?:te|le)\s+(?:dieron|han\s+dado))"#),
        override(#"(?:ignora|ignore|ignorad|olvida|olvide|olvidad|haz\s+caso\s+omiso\s+(?:a|de))\s+(?:todas\s+)?(?:tus|sus)\s+(?:instrucciones|indicaciones|reglas|directrices|restricciones|normas)"#, weight: 0.85),
        override(#"(?:ignora|ignore|ignorad|olvida|olvide|olvidad)\s+todo\s+lo\s+(?:anterior|que\s+(?:te|le)\s+(?:dije|dijeron|han\s+dicho|dijimos))"#, weight: 0.85),
        override(#"(?:ignora|ignorate|ignori|dimentica|dimenticate|dimentichi|trascura|trascurate|non\s+seguire|non\s+rispettare|non\s+tenere\s+conto\s+d(?:i|elle|ei|egli))\s+(?:(?:tutte|tutti|le|gli|i|tue|tuoi|sue|suoi|queste|quelle)\s+|l')*(?:istruzioni|indicazioni|regole|direttive|ordini|comandi|prompt|restrizioni)\s+(?:precedenti|di\s+prima|sopra|qui\s+sopra|iniziali|originali|del\s+sistema|di\s+sistema|ricevute)"#),
        override(#"(?:ignora|ignorate|dimentica|dimenticate|trascura)\s+(?:tutte\s+)?(?:le\s+)?(?:tue|sue)\s+(?:istruzioni|indicazioni|regole|direttive|restrizioni)"#, weight: 0.85),
        override(#"(?:ignore|ignora|ignorem|esqueça|esqueçam|esquece|desconsidere|desconsidera|desconsiderem|descarte|descarta|não\s+(?:siga|sigas|obedeça|obedeças))\s+(?:(?:todas|todos|as|os|suas|seus|tuas|teus|estas|essas|estes|esses)\s+)*(?:instruções|orientações|regras|diretrizes|ordens|comandos|prompts?|restrições)\s+(?:anteriores|prévias|precedentes|acima|originais|iniciais|do\s+sistema|de\s+sistema)"#),
        override(#"(?:ignore|ignora|esqueça|esquece|desconsidere|desconsidera)\s+(?:todas\s+)?(?:as\s+)?(?:suas|tuas)\s+(?:instruções|orientações|regras|diretrizes|restrições)"#, weight: 0.85),
        override(#"(?:negeer|negeert|vergeet|veronachtzaam)\s+(?:(?:alle|al|de|deze|die)\s+)*(?:vorige|eerdere|voorgaande|bovenstaande|oorspronkelijke|originele|systeem|alle|je|jouw|uw)\s*-?(?:instructies|aanwijzingen|opdrachten|regels|richtlijnen|prompts?|beperkingen)"#),
        override(#"(?:zignoruj(?:cie)?|ignoruj(?:cie)?|zapomnij(?:cie)?\s+o|pomiń(?:cie)?|nie\s+stosuj\s+się\s+do)\s+(?:(?:wszystkie|wszystkich|twoje|twoich|swoje|swoich|te|tych|poprzednie|poprzednich|wcześniejsze|wcześniejszych|powyższe|powyższych|systemowe|systemowych)\s+){1,2}(?:instrukcje|instrukcji|instrukcjach|polecenia|poleceń|zasady|zasad|reguły|reguł|wytyczne|wytycznych|prompty|promptów|prompt)"#, weight: 0.85),
        override(#"(?:игнорируй|Игнорируй|проигнорируй|Проигнорируй|забудь|Забудь|отбрось|Отбрось|не\s+обращай|Не\s+обращай)(?:те)?\s+(?:внимания\s+на\s+|про\s+|о\s+)?(?:(?:все|всё|всех|свои|своих|твои|твоих|ваши|ваших|эти|этих|предыдущие|предыдущих|прежние|прежних|вышеуказанные|вышеуказанных|системные|системных|изначальные|изначальных|исходные|исходных)\s+){1,2}(?:инструкции|инструкций|указания|указаний|правила|правил|команды|команд|промпты|промпт|промптов|директивы|директив|ограничения|ограничений)"#, weight: 0.85),
        override(#"(?:忽略|忽視|忽视|无视|無視|忘记|忘記|忘掉|不要理会|不要理會|不要遵守|不再遵守|跳过|跳過|丢弃|丟棄)(?:掉)?(?:你|您)?(?:的)?(?:所有|全部|一切)?(?:的)?(?:之前|以前|先前|上面|上述|前面|此前|以上|早先|原有|原来|原來|原始|系统|系統)(?:的)?(?:所有|全部|一切)?(?:的)?(?:系统|系統)?(?:指令|指示|说明|說明|规则|規則|提示词|提示詞|提示|设定|設定|要求|命令|限制)"#),
        override(#"(?:忽略|忽視|忽视|无视|無視|忘记|忘記|忘掉)(?:你|您)(?:的)?(?:所有|全部|一切)(?:的)?(?:指令|指示|规则|規則|限制|设定|設定)"#, weight: 0.85),
        override(#"(?:これまで|今まで|以前|前|上記|先ほど|先程|最初|システム)の(?:すべての|全ての|全部の)?(?:指示|命令|ルール|指令|プロンプト|設定|制約)(?:を|は)(?:すべて|全て|全部)?(?:無視|忘れ)"#),
        override(#"(?:すべての|全ての)(?:指示|命令|ルール|制約)を(?:無視|忘れ)"#, weight: 0.85),
        override(#"(?:이전|앞의|위의|기존|시스템|모든)\s*(?:의\s*)?(?:모든\s*)?(?:지시사항|지시|지침|명령|규칙|프롬프트|제한)(?:을|를|은|는|들을)?\s*(?:모두\s*|전부\s*)?(?:무시|잊어)"#),
        extraction(#"(?:zeig(?:e|t|en\s+sie)?|gib|geben\s+sie|nenn(?:e|en\s+sie)?|wiederhol(?:e|en\s+sie)?|verrat(?:e|en\s+sie)?|druck(?:e|en\s+sie)?|schreib(?:e|en\s+sie)?)\s+(?:mir\s+|uns\s+)?(?:den|deinen|ihren|die|deine|ihre|das)\s+(?:(?:vollständige[n]?|gesamte[n]?|ursprüngliche[n]?|geheime[n]?|versteckte[n]?|exakte[n]?|genaue[n]?)\s+)*(?:system-?prompt|systemanweisung(?:en)?|systemnachricht|system-?instruktionen|anfangsanweisungen)"#),
        extraction(#"(?:révèle|révélez|affiche|affichez|montre|montrez|donne|donnez|répète|répétez|imprime|imprimez|écris|écrivez|divulgue|divulguez)(?:-moi|-nous)?\s+(?:ton|votre|le|tes|vos|les)\s+(?:prompt\s+(?:du\s+|de\s+)?système|message\s+(?:du\s+)?système|instructions\s+(?:du\s+)?système|instructions\s+(?:initiales|d'origine|cachées|secrètes)|consignes\s+(?:du\s+)?système|system\s+prompt)"#),
        extraction(#"(?:muestra|muéstrame|muestre|revela|revélame|revele|dime|imprime|repite|escribe|enséñame)\s+(?:tu|su|el|tus|sus|las)\s+(?:prompt\s+(?:del|de)\s+sistema|mensaje\s+(?:del|de)\s+sistema|instrucciones\s+(?:del\s+sistema|de\s+sistema|iniciales|originales|ocultas|secretas)|system\s+prompt)"#),
        extraction(#"(?:mostra(?:mi)?|rivela(?:mi)?|dimmi|stampa|ripeti|scrivi(?:mi)?)\s+(?:il\s+tuo|il|la\s+tua|le\s+tue|le|i\s+tuoi)\s+(?:prompt\s+(?:di|del)\s+sistema|messaggio\s+(?:di|del)\s+sistema|istruzioni\s+(?:di\s+sistema|del\s+sistema|iniziali|originali|nascoste|segrete)|system\s+prompt)"#),
        extraction(#"(?:mostre|mostra|revele|revela|diga|imprima|repita|escreva)(?:-me)?\s+(?:o\s+seu|o\s+teu|o|seu|teu|as\s+suas|as\s+tuas|as)\s+(?:prompt\s+(?:do|de)\s+sistema|mensagem\s+(?:do|de)\s+sistema|instruções\s+(?:do\s+sistema|iniciais|originais|ocultas|secretas)|system\s+prompt)"#),
        extraction(#"(?:toon|geef|herhaal|onthul|print)\s+(?:me\s+|mij\s+|ons\s+)?(?:je|jouw|uw|de)\s+(?:(?:volledige|oorspronkelijke|originele|verborgen|geheime)\s+)*(?:systeem-?prompt|systeeminstructies|systeembericht|oorspronkelijke\s+instructies|verborgen\s+instructies)"#),
        extraction(#"(?:pokaż|wyświetl|powtórz|ujawnij|wypisz|podaj|zdradź)(?:cie)?\s+(?:mi\s+)?(?:(?:swój|twój|swoje|twoje|cały|pełny)\s+)?(?:prompt\s+systemowy|systemowy\s+prompt|systemowe\s+(?:instrukcje|polecenia)|instrukcje\s+systemowe)"#),
        extraction(#"(?:покажи|Покажи|выведи|Выведи|повтори|Повтори|раскрой|Раскрой|напиши|Напиши)(?:те)?\s+(?:мне\s+)?(?:(?:свой|свои|твой|твои|ваш|ваши|весь|все|полный)\s+)?(?:системный\s+промпт|системные\s+(?:инструкции|сообщения|подсказки)|системное\s+сообщение|системную\s+подсказку|системный\s+запрос|исходные\s+инструкции|начальные\s+инструкции)"#),
        extraction(#"(?:输出|輸出|显示|顯示|告诉我|告訴我|打印|重复|重複|泄露|洩露|展示|给我看|給我看|说出|說出|透露)(?:一下)?(?:你|您)?(?:的)?(?:完整的?|全部的?|原始的?)?(?:系统提示词|系統提示詞|系统提示|系統提示|系统指令|系統指令|系统消息|系統訊息|初始指令|原始指令|系统设定|系統設定)"#),
        extraction(#"(?:システムプロンプト|初期プロンプト|システム指示|システムメッセージ)(?:の内容|の全文)?(?:を|は)(?:そのまま|全て|すべて)?(?:表示|出力|教え|見せ|繰り返|書き出)"#),
        extraction(#"시스템\s*(?:프롬프트|지시사항|메시지)(?:를|을)?\s*(?:그대로\s*|전부\s*|모두\s*)?(?:보여|알려|출력|공개|반복)"#),
    ]

    private static func override(_ expression: String, weight: Double = 0.9) -> Signature {
        Signature(category: "INSTRUCTION_OVERRIDE", weight: weight, expression: unaccented(expression), accentFree: true)
    }

    private static func extraction(_ expression: String, weight: Double = 0.85) -> Signature {
        Signature(category: "SYSTEM_PROMPT_EXTRACTION", weight: weight, expression: unaccented(expression), accentFree: true)
    }

    /// Writes each accented Latin letter as the folded text has it: without its accent (German
    /// umlauts also as their two-letter spelling). Spelling every accented form out instead made
    /// the pattern database several times slower to compile.
    static func unaccented(_ expression: String) -> String {
        var out = ""
        for character in expression {
            let text = String(character)
            guard let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
                  !scalar.isASCII, scalar.properties.isLowercase else {
                out += text
                continue
            }
            let base = String(String.UnicodeScalarView(text.decomposedStringWithCanonicalMapping.unicodeScalars.filter(\.isASCII)))
            if base.isEmpty {
                out += text
            } else if let spelt = ["ä": "ae", "ö": "oe", "ü": "ue"][text] {
                out += "(?:\(base)|\(spelt))"
            } else {
                out += base
            }
        }
        return out
    }
}
