import KeelCore
import KeelGovernance
import KeelHTTP

/// Governance on the data plane: admission before the first upstream attempt, settlement after
/// the last.
///
/// Admission takes the caller the ``GovernanceMiddleware`` authenticated and asks
/// ``Governance/admit(_:model:promptTokens:maxOutputTokens:requestID:)`` with the prompt estimate
/// and the request's `max_tokens` (`max_completion_tokens`), which reserves the worst-case cost and
/// the rate-limit tokens or throws the refusal (401/403/429 as a ``GovernanceError``). Settlement
/// replaces the reservation by the real usage (``ChatUsage`` already counts cache reads and writes
/// in the input tokens, as ``TokenUsage`` wants) and records the spend with its tags; a request
/// that failed before using tokens gives everything back. Answers from the response cache settle
/// at zero tokens: they cost nothing upstream, so they are charged nothing, but they count as
/// requests against the rate limits. Without governance (or without a caller, when no
/// authentication ran) nothing happens.
extension Gateway {
    /// Admits the request for `model`, noting the caller and the reservation on the recorder.
    /// `promptTokens` is evaluated only when there is something to admit.
    func admit(_ recorder: inout RequestRecorder, context: RequestContext, model: String, promptTokens: @autoclosure () -> Int, maxOutputTokens: Int?, headers: HTTPHeaders, metadata: JSONValue?) async throws {
        guard let governance, let caller = context.attributes[CallerKey.self] else { return }
        let promptTokens = promptTokens()
        recorder.caller = caller
        recorder.tags = Governance.tags(headers: headers, metadata: metadata)
        let reservation = try await governance.admit(caller, model: model, promptTokens: promptTokens, maxOutputTokens: maxOutputTokens, requestID: recorder.id)
        recorder.reservation = reservation
        recorder.rateLimitHeaders = reservation.headers
    }

    /// Checks the caller's role and allow-lists only (calls that cost nothing, like token counting).
    func authorize(_ context: RequestContext, model: String) throws {
        guard let governance, let caller = context.attributes[CallerKey.self] else { return }
        try governance.authorize(caller, model: model, requestID: context.requestID)
    }

    /// Settles the request's reservation with `usage` (default: the recorder's; none: zero tokens)
    /// and notes the cost.
    func settle(_ recorder: inout RequestRecorder, status: Int, usage: ChatUsage? = nil) async {
        guard let governance, let reservation = recorder.reservation else { return }
        recorder.reservation = nil
        let usage = usage ?? recorder.usage ?? ChatUsage()
        recorder.costNanos = await governance.settle(
            reservation,
            usage: TokenUsage(inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cachedInputTokens: usage.cachedInputTokens, cacheWriteTokens: usage.cacheWriteTokens),
            status: status, upstreamModel: recorder.upstreamModel, requestID: recorder.id, tags: recorder.tags
        )
    }

    /// Ends a failed request's reservation: settled when the upstream reported usage (tokens were
    /// spent), released otherwise.
    func endFailed(_ recorder: inout RequestRecorder, status: Int) async {
        guard let governance, let reservation = recorder.reservation else { return }
        if recorder.usage != nil {
            await settle(&recorder, status: status)
        } else {
            recorder.reservation = nil
            await governance.release(reservation)
        }
    }

    /// The `x-ratelimit-*` headers of the recorder's reservation added to `headers`.
    static func addingRateLimitHeaders(_ headers: HTTPHeaders, _ recorder: RequestRecorder) -> HTTPHeaders {
        guard !recorder.rateLimitHeaders.isEmpty else { return headers }
        var headers = headers
        for (name, value) in recorder.rateLimitHeaders { headers.add(name: name, value: value) }
        return headers
    }

    /// The output allowance a chat request asks for: `max_tokens`, else `max_completion_tokens`.
    static func maxOutputTokens(_ body: JSONObject) -> Int? {
        body["max_tokens"]?.intValue ?? body["max_completion_tokens"]?.intValue
    }
}
