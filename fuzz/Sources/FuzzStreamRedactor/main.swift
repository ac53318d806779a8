import FuzzSupport

runLibFuzzer { data, size in
    fuzzStreamRedactor(input(data, size))
    return 0
}
