// Timing shared by the micro-benchmark programs under bench/.

import Dispatch

/// Median nanoseconds per call of `body` over `runs` timed runs, each of an iteration count
/// calibrated (after a warm-up) so that one run takes about `millis` milliseconds.
public func medianNanoseconds(runs: Int, millis: Double, _ body: () -> Void) -> Double {
    var iterations = 1
    while true {
        let elapsed = elapsedNanoseconds(iterations, body)
        if elapsed > 20_000_000 || iterations >= 1 << 24 {
            iterations = max(1, Int(millis * 1_000_000 / (Double(elapsed) / Double(iterations))))
            break
        }
        iterations *= 4
    }
    var samples: [Double] = []
    for _ in 0..<max(1, runs) {
        samples.append(Double(elapsedNanoseconds(iterations, body)) / Double(iterations))
    }
    samples.sort()
    return samples[samples.count / 2]
}

/// Nanoseconds taken by `iterations` calls of `body`.
public func elapsedNanoseconds(_ iterations: Int, _ body: () -> Void) -> UInt64 {
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations { body() }
    return DispatchTime.now().uptimeNanoseconds - start
}

/// `--runs N` and `--millis MS` from the command line, with defaults; nil (after printing the
/// usage line for `program`) when anything else is given.
public func timingArguments(program: String, runs: Int, millis: Double) -> (runs: Int, millis: Double)? {
    var runs = runs
    var millis = millis
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let argument = arguments.next() {
        switch argument {
        case "--runs": runs = Int(arguments.next() ?? "") ?? runs
        case "--millis": millis = Double(arguments.next() ?? "") ?? millis
        default:
            print("usage: \(program) [--runs N] [--millis MS]")
            return nil
        }
    }
    return (runs, millis)
}
