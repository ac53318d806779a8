import FuzzSupport

runLibFuzzer { data, size in
    fuzzGuardrails(input(data, size))
    return 0
}
