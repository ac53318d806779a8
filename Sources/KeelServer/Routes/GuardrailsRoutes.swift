import KeelConfig
import KeelCore
import KeelGovernance
import KeelGuardrails
import KeelHTTP
import KeelTelemetry

/// `POST /v1/guardrails/apply`: applies a guardrails policy to text, for applications that call
/// models outside Keel.
///
/// Request: `{"policy"?: NAME, "source"?: "input"|"output", "role"?: ROLE, "content": STRING | [STRING],
/// "model"?: NAME}`. Without `policy` the policy bound to the caller's key, else its team, else `model`
/// applies, else `default`; with neither the answer is `allow`. `role` (`system`, `user`, `assistant`,
/// `tool`; input only) is the role of every text of `content`: an input entry scans them only if its
/// `roles` cover it, as on the chat gateway; without it every entry scans them. Response:
/// `{"action", "policy", "content", "findings": [{detector, type, start, end, score, action}]}` with
/// `start`/`end` in Unicode code points; a list `content` gives a list back and each finding an `index`. A blocked text is still a 200 answer: the verdict is the result.
/// Errors: 400 for invalid JSON, wrong types or values, or `role` with `source: output`; 404 for an
/// unknown policy.
///
/// Every action is counted in `keel_guardrail_actions_total{detector,action,source}`; the request
/// log records the policy, action and finding counts, never the values found.
struct GuardrailsRoutes: Sendable {
    let guardrails: Guardrails

    /// Compiles the configured policies; a pattern or schema that does not compile stops start-up.
    init(config: KeelConfig, metrics: MetricsRegistry) throws(StartupError) {
        let counter = metrics.counter(
            "keel_guardrail_actions_total",
            help: "Guardrail policy entries that blocked, redacted or flagged a text.",
            labelNames: ["detector", "action", "source"]
        )
        do {
            guardrails = try Guardrails(config: config.guardrails, recorder: { detector, action, source in
                counter.labels(detector, action.rawValue, source.rawValue).inc()
            })
        } catch {
            throw StartupError("guardrails: \(error.message)")
        }
    }

    func register(in router: inout Router) {
        router.post("/v1/guardrails/apply") { [guardrails] request, context in
            let body: JSONValue
            do throws(JSONError) {
                body = try JSONValue(parsing: request.body)
            } catch {
                throw HTTPError.badRequest("The request body is not valid JSON: \(error.message)", code: "invalid_json")
            }
            guard let object = body.objectValue else {
                throw HTTPError.badRequest("The request body must be a JSON object.", code: "invalid_type")
            }
            let texts: [String]
            let multiple: Bool
            switch object["content"] {
            case .string(let text)?:
                texts = [text]
                multiple = false
            case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }):
                texts = items.compactMap(\.stringValue)
                multiple = true
            case nil, .null?:
                throw HTTPError.badRequest("Missing required parameter: 'content'.", code: "missing_required_parameter", param: "content")
            default:
                throw HTTPError.badRequest("'content' must be a string or a list of strings.", code: "invalid_type", param: "content")
            }
            var source = GuardrailSource.input
            if let value = object["source"], !value.isNull {
                guard let name = value.stringValue, let parsed = GuardrailSource(rawValue: name) else {
                    throw HTTPError.badRequest("'source' must be \"input\" or \"output\".", code: "invalid_value", param: "source")
                }
                source = parsed
            }
            var role: GuardrailRole?
            if let value = object["role"], !value.isNull {
                let allowed = "'role' must be one of \"system\", \"user\", \"assistant\", \"tool\"."
                guard let name = value.stringValue else {
                    throw HTTPError.badRequest(allowed, code: "invalid_type", param: "role")
                }
                guard let parsed = GuardrailRole(rawValue: name) else {
                    throw HTTPError.badRequest(allowed, code: "invalid_value", param: "role")
                }
                guard source == .input else {
                    throw HTTPError.badRequest("'role' applies to source \"input\" only: output texts have no role.", code: "invalid_value", param: "role")
                }
                role = parsed
            }
            let model: String?
            switch object["model"] {
            case .string(let name)?: model = name
            case nil, .null?: model = nil
            default: throw HTTPError.badRequest("'model' must be a string.", code: "invalid_type", param: "model")
            }
            let policy: Policy?
            switch object["policy"] {
            case .string(let name)?:
                guard let named = guardrails.policy(named: name) else {
                    throw HTTPError(404, "Unknown guardrails policy '\(name)'. Configured: \(guardrails.policyNames.joined(separator: ", ")).", code: "policy_not_found", param: "policy")
                }
                policy = named
            case nil, .null?:
                // The same binding as for the caller's model calls: key, then team, then model.
                let caller = context.attributes[CallerKey.self]
                policy = guardrails.resolvePolicy(model: model, team: caller?.teamID, key: caller?.keyID)
            default:
                throw HTTPError.badRequest("'policy' must be a string.", code: "invalid_type", param: "policy")
            }
            let roles = role.map { Array(repeating: $0, count: texts.count) }
            let outcome = guardrails.apply(texts, roles: roles, source: source, policy: policy)
            var metadata = [
                "policy": outcome.policy ?? "",
                "source": source.rawValue,
                "action": outcome.action.rawValue,
                "findings": outcome.summary.map { "\($0.detector)/\($0.type)/\($0.action.rawValue)=\($0.count)" }.joined(separator: ","),
            ]
            if let role { metadata["role"] = role.rawValue }
            context.logger.info("guardrails applied", metadata)
            return .json(bytes: outcome.json(multiple: multiple).serialized())
        }
    }
}
