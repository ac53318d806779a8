import KeelConfig
import KeelCore
import KeelHTTP

/// `GET /v1/models` and `GET /v1/models/{id}`: the model names configured in `models`, in the
/// OpenAI shape — or in the Anthropic shape when the request carries `anthropic-version` (as the
/// Anthropic SDK's `models.list()` does).
public struct ModelsRoutes: Sendable {
    let models: [String]
    /// Unix seconds reported as every model's creation time: when this Keel started.
    let created: Int

    public init(config: KeelConfig, created: Int) {
        models = config.models.map(\.name)
        self.created = created
    }

    public func register(in router: inout Router) {
        router.get("/v1/models") { [self] request, _ in
            if request.headers.contains("anthropic-version") {
                return .json(anthropicList())
            }
            var out = "{\"object\":\"list\",\"data\":["
            out += models.map(openAIModel).joined(separator: ",")
            out += "]}"
            return .json(out)
        }
        router.get("/v1/models/{id}") { [self] request, context in
            let id = context.parameters["id"] ?? ""
            guard models.contains(id) else {
                let format: ErrorFormat = request.headers.contains("anthropic-version") ? .anthropic : .openAI
                throw ModelNotFound(model: id, format: format)
            }
            if request.headers.contains("anthropic-version") {
                return .json(anthropicModel(id))
            }
            return .json(openAIModel(id))
        }
    }

    func openAIModel(_ id: String) -> String {
        "{\"id\":\(JSONString.quote(id)),\"object\":\"model\",\"created\":\(created),\"owned_by\":\"keel\"}"
    }

    func anthropicModel(_ id: String) -> String {
        "{\"type\":\"model\",\"id\":\(JSONString.quote(id)),\"display_name\":\(JSONString.quote(id)),\"created_at\":\(JSONString.quote(RFC3339.format(seconds: created)))}"
    }

    func anthropicList() -> String {
        let first = models.first.map(JSONString.quote) ?? "null"
        let last = models.last.map(JSONString.quote) ?? "null"
        return "{\"data\":[\(models.map(anthropicModel).joined(separator: ","))],\"has_more\":false,\"first_id\":\(first),\"last_id\":\(last)}"
    }
}

/// A request named a model that is not configured: 404 with code `model_not_found`.
public struct ModelNotFound: HTTPResponseError, Sendable {
    public var model: String
    public var format: ErrorFormat?

    public init(model: String, format: ErrorFormat? = nil) {
        self.model = model
        self.format = format
    }

    public var status: Int { 404 }

    public func response(format routeFormat: ErrorFormat) -> Response {
        HTTPError(status, "The model '\(model)' does not exist or is not configured in Keel.", code: "model_not_found", param: "model")
            .response(format: format ?? routeFormat)
    }
}
