import FuzzSupport

runLibFuzzer { data, size in
    fuzzJSON(input(data, size))
    return 0
}
