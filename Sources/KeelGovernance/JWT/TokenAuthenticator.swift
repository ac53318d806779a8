import Foundation
import KeelConfig
import KeelCore
import KeelHTTP
import Synchronization

/// Single sign-on: verifies bearer JWTs against the configured JWKS and maps their claims to a team,
/// a role and a user. The JWKS is loaded at start and refreshed in the background every
/// `refresh_interval_s` — never per request; a failed refresh keeps the previous keys.
final class TokenAuthenticator: Sendable {
    let config: JWTAuthConfig
    let verifier: JWTVerifier
    private let keys = Mutex(JWKS.empty)
    private let refresher = Mutex<Task<Void, Never>?>(nil)
    private let client: HTTPClient?
    private let logger: Logger

    init(config: JWTAuthConfig, client: HTTPClient?, logger: Logger) throws(GovernanceError) {
        self.config = config
        self.client = client
        self.logger = logger
        let leeway = config.leeway.components
        verifier = JWTVerifier(issuer: config.issuer, audience: config.audience, leeway: Double(leeway.seconds))
        if case .file(let path) = config.keys {
            // A broken file is a start-up error: better than starting with SSO silently off.
            let loaded = try Self.readFile(path)
            keys.withLock { $0 = loaded }
        }
        let interval = config.refreshInterval
        let fetchFirst: Bool = if case .url = config.keys { true } else { false }
        let task = Task { [weak self] in
            if fetchFirst { await self?.refresh() }
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { break }
                await self?.refresh()
            }
        }
        refresher.withLock { $0 = task }
    }

    deinit {
        refresher.withLock { $0?.cancel() }
    }

    func stop() {
        refresher.withLock { $0?.cancel() }
    }

    /// The number of usable keys loaded now.
    var keyCount: Int { keys.withLock { $0.count } }

    /// Reloads the JWKS from its file or URL; keeps the current keys when that fails.
    func refresh() async {
        do {
            let loaded: JWKS
            switch config.keys {
            case .file(let path):
                loaded = try Self.readFile(path)
            case .url(let url):
                guard let client else { return }
                let (response, body) = try await client.fetch(HTTPClientRequest(url: url, headers: ["accept": "application/json"]), upTo: 1 << 20)
                guard response.status == 200 else {
                    throw GovernanceError(.invalidJWKS, "GET \(url) answered \(response.status)")
                }
                loaded = try JWKS(parsing: body)
            }
            keys.withLock { $0 = loaded }
            logger.debug("JWKS loaded", ["keys": String(loaded.count), "skipped": String(loaded.skipped)])
        } catch {
            logger.error("could not load the JWKS; keeping the previous keys", ["error": "\(error)"])
        }
    }

    private static func readFile(_ path: String) throws(GovernanceError) -> JWKS {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GovernanceError(.invalidJWKS, "cannot read auth.jwt.jwks_file \(path)")
        }
        let jwks = try JWKS(parsing: [UInt8](data))
        if jwks.count == 0 {
            throw GovernanceError(.invalidJWKS, "auth.jwt.jwks_file \(path) has no usable RS256 or ES256 signing key")
        }
        return jwks
    }

    /// The caller a valid token stands for. `resolveTeam` maps a team claim (id or name) to a team id.
    func authenticate(_ token: String, now: Double, resolveTeam: (String) -> String?) throws(GovernanceError) -> Caller {
        let current = keys.withLock { $0 }
        if current.count == 0 {
            throw GovernanceError(.invalidToken, "Single sign-on keys are not loaded yet; try again shortly.")
        }
        let claims = try verifier.verify(token, keys: current, now: now)
        let subject = claims["sub"]?.stringValue ?? "unknown"
        let user = claims[config.userClaim]?.stringValue ?? subject
        let role = mapRole(claims[config.roleClaim])
        var teamID: String?
        if let teamClaim = claims[config.teamClaim] {
            let names: [String] = teamClaim.stringValue.map { [$0] } ?? teamClaim.arrayValue?.compactMap(\.stringValue) ?? []
            teamID = names.lazy.compactMap(resolveTeam).first
            if teamID == nil && role != .superAdmin {
                throw GovernanceError(.permissionDenied, "The token's team is not a Keel team; ask a platform admin to create it.")
            }
        } else if role != .superAdmin {
            throw GovernanceError(.permissionDenied, "The token has no \(config.teamClaim) claim naming a Keel team.")
        }
        return Caller(credential: .token(subject: subject), role: role, teamID: teamID, userID: user)
    }

    /// The highest role any value of the role claim maps to; `default_role` when none does.
    func mapRole(_ claim: JSONValue?) -> Role {
        let values: [String] = claim?.stringValue.map { [$0] } ?? claim?.arrayValue?.compactMap(\.stringValue) ?? []
        let roles = values.compactMap { Role(rawValue: config.roleMap[$0] ?? $0) }
        return roles.max() ?? Role(rawValue: config.defaultRole) ?? .developer
    }
}
