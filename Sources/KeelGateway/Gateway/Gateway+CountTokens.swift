import KeelConfig
import KeelCore
import KeelHTTP

extension Gateway {
    /// `POST /v1/messages/count_tokens`: Anthropic's token counting, which Claude Code and the
    /// Anthropic SDK (`messages.count_tokens`) call before sending long contexts.
    ///
    /// A model with an Anthropic route gets the provider's exact count (the client's JSON is
    /// forwarded with only `model` replaced), through the attempt loop restricted to its Anthropic
    /// routes (retries, cooldowns and hedging apply; fallbacks do not). Other providers have no such
    /// endpoint, so Keel answers with ``TokenEstimator``'s estimate and says so in
    /// `x-keel-token-count: estimated`. Nothing is sent to a model, so these calls are not in the
    /// request log (nor in the GenAI metrics); they are traced like other requests. Governance
    /// checks the caller's role and the model's allow-lists only: counting is free, so no budget or
    /// rate limit applies.
    func countTokens(_ request: Request, _ context: RequestContext) async throws -> Response {
        var recorder = RequestRecorder(id: context.requestID, inboundAPI: "anthropic.count_tokens", model: "")
        recorder.telemetry = startTelemetry(request, operation: "count_tokens")
        do {
            let response = try await countTokens(request, context, recorder: &recorder)
            finish(recorder, status: response.status, error: nil)
            return response
        } catch {
            finish(recorder, failedWith: error)
            throw error
        }
    }

    private func countTokens(_ request: Request, _ context: RequestContext, recorder: inout RequestRecorder) async throws -> Response {
        let body = try Self.jsonObject(request.body)
        let modelName = try Self.modelName(body)
        recorder.model = modelName
        guard let messages = body["messages"], !messages.isNull else {
            throw GatewayError.invalid("messages: Field required", param: "messages", code: "missing_required_parameter")
        }
        guard messages.arrayValue != nil else {
            throw GatewayError.invalid("messages: Input should be a valid list", param: "messages", code: "invalid_type")
        }
        guard let model = models[modelName] else {
            throw ModelNotFound(model: modelName)
        }
        try authorize(context, model: modelName)
        let providers = self.providers
        let anthropicRoutes = model.routes.filter { providers[$0.provider]?.kind == .anthropic }
        guard !anthropicRoutes.isEmpty else {
            let estimate: JSONValue = ["input_tokens": .number(JSONNumber(TokenEstimator.promptTokens(body)))]
            let route = model.routes[0]
            return .json(bytes: estimate.serialized(), headers: ["x-keel-token-count": "estimated", "x-keel-route": "\(route.provider)/\(route.model)", "x-keel-attempts": "0"])
        }
        var plan = AttemptPlan(model: modelName, stream: false, timeoutOverride: try Self.timeoutOverride(request.headers))
        plan.useFallbacks = false
        plan.unsuitableRoutes = { model in
            Set(model.routes.indices.filter { providers[model.routes[$0].provider]?.kind != .anthropic })
        }
        let trail = makeTrail(&recorder, started: .now)
        let inbound = request.headers
        do {
            let attempted = try await runAttempts(plan, trail: trail) { [self] target in
                var forwarded = body
                forwarded["model"] = .string(target.route.model)
                let upstreamRequest = ProviderEndpoint(provider: target.provider, trace: target.trace)
                    .anthropicCountTokensRequest(body: JSONValue.object(forwarded).serialized(), inbound: inbound, timeouts: target.timeouts)
                let (upstream, bytes) = try await client.fetch(upstreamRequest, upTo: 1 << 20)
                guard upstream.status < 400 else {
                    throw AttemptFailure.upstream(status: upstream.status, mapped: AnthropicMessagesCodec.decodeError(status: upstream.status, body: bytes, headers: upstream.headers), headers: upstream.headers)
                }
                return Attempted(value: bytes)
            }
            recorder.answeredBy(attempted.target)
            recorder.attempts = trail.all
            return .json(bytes: attempted.result.value, headers: ["x-keel-route": attempted.target.name, "x-keel-attempts": String(trail.all.count)])
        } catch let failure as AttemptFailure {
            recorder.failed(failure, trail: trail)
            var error = failure.error
            error.headers["x-keel-attempts"] = String(trail.all.count)
            if let last = trail.all.last { error.headers["x-keel-route"] = "\(last.provider)/\(last.model)" }
            throw error
        }
    }
}
