import KeelHTTP

/// The authenticated caller of a request: who it is, its role, and the team it acts for.
public struct Caller: Sendable, Equatable {
    /// How the caller proved who it is.
    public enum Credential: Sendable, Equatable {
        /// The configured master key.
        case master
        /// A virtual key, by id (never the secret).
        case key(id: String)
        /// A verified JSON Web Token, by subject.
        case token(subject: String)
    }

    /// How the caller proved who it is.
    public var credential: Credential
    /// What the caller may do.
    public var role: Role
    /// The team the caller acts for; nil only for the master key (and super-admin tokens without a team).
    public var teamID: String?
    /// The end user, for per-user budgets: a key's `user`, or a token's user claim.
    public var userID: String?

    /// Creates a value with the given fields.
    public init(credential: Credential, role: Role, teamID: String? = nil, userID: String? = nil) {
        self.credential = credential
        self.role = role
        self.teamID = teamID
        self.userID = userID
    }

    /// The master key's caller.
    public static let master = Caller(credential: .master, role: .superAdmin)

    /// The virtual key's id, when the caller used one.
    public var keyID: String? {
        if case .key(let id) = credential { return id }
        return nil
    }

    /// How the caller appears in the audit log: `master`, `key:ID` or `jwt:SUBJECT`.
    public var actor: String {
        switch credential {
        case .master: "master"
        case .key(let id): "key:\(id)"
        case .token(let subject): "jwt:\(subject)"
        }
    }

    /// Whether the caller may act on `teamID`'s resources.
    public func belongs(to teamID: String?) -> Bool {
        role == .superAdmin || (teamID != nil && self.teamID == teamID)
    }
}

/// The request attribute under which the governance middleware stores the authenticated ``Caller``.
public enum CallerKey: RequestAttributeKey {
    /// The authenticated caller.
    public typealias Value = Caller
}
