import FuzzSupport

runLibFuzzer { data, size in
    fuzzUpstreamStream(input(data, size))
    return 0
}
