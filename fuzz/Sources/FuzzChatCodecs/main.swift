import FuzzSupport

runLibFuzzer { data, size in
    fuzzChatCodecs(input(data, size))
    return 0
}
