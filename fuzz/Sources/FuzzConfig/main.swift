import FuzzSupport

runLibFuzzer { data, size in
    fuzzConfig(input(data, size))
    return 0
}
