/// A team as stored: its limits and allowed models. Times are milliseconds since the Unix epoch.
public struct TeamRecord: Sendable, Equatable {
    /// Stable identifier (`team_…`).
    public var id: String
    /// Unique display name.
    public var name: String
    /// Spend cap for the whole team per `budgetPeriod`, in US dollars; nil means no cap.
    public var maxBudgetUSD: Double?
    /// `daily`, `weekly`, `monthly` or `total`.
    public var budgetPeriod: String
    /// Spend cap for each user of the team per `budgetPeriod`; nil means no per-user cap.
    public var userMaxBudgetUSD: Double?
    /// Requests per minute for the whole team; nil means unlimited.
    public var rpmLimit: Int?
    /// Tokens per minute for the whole team; nil means unlimited.
    public var tpmLimit: Int?
    /// The models the team may use; nil means every configured model.
    public var models: [String]?
    /// Free-form JSON object text.
    public var metadata: String
    /// When it was created, in milliseconds since the Unix epoch.
    public var createdAt: Int64
    /// When it was last changed, in milliseconds since the Unix epoch.
    public var updatedAt: Int64

    /// A team record.
    public init(
        id: String, name: String, maxBudgetUSD: Double? = nil, budgetPeriod: String = "monthly", userMaxBudgetUSD: Double? = nil,
        rpmLimit: Int? = nil, tpmLimit: Int? = nil, models: [String]? = nil, metadata: String = "{}", createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.name = name
        self.maxBudgetUSD = maxBudgetUSD
        self.budgetPeriod = budgetPeriod
        self.userMaxBudgetUSD = userMaxBudgetUSD
        self.rpmLimit = rpmLimit
        self.tpmLimit = tpmLimit
        self.models = models
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A virtual key as stored: never the secret, only its SHA-256 (hex) and a short visible prefix.
public struct KeyRecord: Sendable, Equatable {
    /// Stable identifier (`key_…`).
    public var id: String
    /// The team's id.
    public var teamID: String
    /// A display name.
    public var name: String?
    /// `team_admin`, `developer` or `viewer`.
    public var role: String
    /// The end user, for per-user budgets and reports.
    public var userID: String?
    /// The models this key may use (within its team's list); nil means the team's list.
    public var models: [String]?
    /// Spend cap per `budgetPeriod`, in US dollars; nil means no cap.
    public var maxBudgetUSD: Double?
    /// `daily`, `weekly`, `monthly` or `total`.
    public var budgetPeriod: String
    /// Requests per minute; nil means unlimited.
    public var rpmLimit: Int?
    /// Tokens per minute; nil means unlimited.
    public var tpmLimit: Int?
    /// When it stops working, in milliseconds since the Unix epoch; nil means never.
    public var expiresAt: Int64?
    /// Free-form JSON object text.
    public var metadata: String
    /// Lower-case hex SHA-256 of the secret.
    public var keyHash: String
    /// The first characters of the secret, to recognise it (`sk-keel-3f9a…`).
    public var keyPrefix: String
    /// When it was created, in milliseconds since the Unix epoch.
    public var createdAt: Int64
    /// When its secret was last replaced, in milliseconds since the Unix epoch.
    public var rotatedAt: Int64?
    /// When it was revoked, in milliseconds since the Unix epoch; nil while it works.
    public var revokedAt: Int64?

    /// A key record.
    public init(
        id: String, teamID: String, name: String? = nil, role: String = "developer", userID: String? = nil, models: [String]? = nil,
        maxBudgetUSD: Double? = nil, budgetPeriod: String = "monthly", rpmLimit: Int? = nil, tpmLimit: Int? = nil, expiresAt: Int64? = nil,
        metadata: String = "{}", keyHash: String, keyPrefix: String, createdAt: Int64, rotatedAt: Int64? = nil, revokedAt: Int64? = nil
    ) {
        self.id = id
        self.teamID = teamID
        self.name = name
        self.role = role
        self.userID = userID
        self.models = models
        self.maxBudgetUSD = maxBudgetUSD
        self.budgetPeriod = budgetPeriod
        self.rpmLimit = rpmLimit
        self.tpmLimit = tpmLimit
        self.expiresAt = expiresAt
        self.metadata = metadata
        self.keyHash = keyHash
        self.keyPrefix = keyPrefix
        self.createdAt = createdAt
        self.rotatedAt = rotatedAt
        self.revokedAt = revokedAt
    }
}

/// What one request cost, recorded after it completed. Money is in nano-dollars (10⁻⁹ USD) so sums are exact.
public struct SpendRecord: Sendable, Equatable {
    /// The request's id (`x-request-id`).
    public var requestID: String
    /// Milliseconds since the Unix epoch.
    public var time: Int64
    /// The virtual key's id, when a key was used.
    public var keyID: String?
    /// The team's id.
    public var teamID: String?
    /// The end user, for per-user budgets and reports.
    public var userID: String?
    /// The model name the client asked for.
    public var model: String
    /// Prompt tokens, cached ones included.
    public var inputTokens: Int
    /// Completion tokens.
    public var outputTokens: Int
    /// Prompt tokens read from the provider's prompt cache.
    public var cachedInputTokens: Int
    /// Prompt tokens written to the provider's prompt cache.
    public var cacheWriteTokens: Int
    /// Cost in nano-dollars (10⁻⁹ USD).
    public var costNanos: Int64
    /// The HTTP status of the response.
    public var status: Int
    /// Spend tags (`x-keel-tags` or request metadata).
    public var tags: [String]

    /// A spend record.
    public init(
        requestID: String, time: Int64, keyID: String?, teamID: String?, userID: String?, model: String,
        inputTokens: Int, outputTokens: Int, cachedInputTokens: Int = 0, cacheWriteTokens: Int = 0,
        costNanos: Int64, status: Int, tags: [String] = []
    ) {
        self.requestID = requestID
        self.time = time
        self.keyID = keyID
        self.teamID = teamID
        self.userID = userID
        self.model = model
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.costNanos = costNanos
        self.status = status
        self.tags = tags
    }
}

/// One audit event before it is chained: who did what to what, when, and how it ended.
public struct AuditEvent: Sendable, Equatable {
    /// Milliseconds since the Unix epoch.
    public var time: Int64
    /// `master`, `key:ID`, `jwt:SUBJECT` or `anonymous`.
    public var actor: String
    /// e.g. `team.create`, `key.rotate`, `request.admit`, `auth.authenticate`.
    public var action: String
    /// What the action applied to (a team or key id, a model, a path).
    public var target: String
    /// `allowed`, `denied`, `ok` or `failed`.
    public var outcome: String
    /// The team the event belongs to, when there is one (team admins and viewers see their team's events).
    public var teamID: String?
    /// A JSON object with details; never contains secrets.
    public var detail: String

    /// An audit event.
    public init(time: Int64, actor: String, action: String, target: String, outcome: String, teamID: String? = nil, detail: String = "{}") {
        self.time = time
        self.actor = actor
        self.action = action
        self.target = target
        self.outcome = outcome
        self.teamID = teamID
        self.detail = detail
    }
}

/// An audit event as stored: its position in the chain, the previous entry's hash and its own.
public struct AuditRecord: Sendable, Equatable {
    /// Position in the chain, from 1, without gaps.
    public var seq: Int64
    /// What happened.
    public var event: AuditEvent
    /// Hex SHA-256 of the previous entry (64 zeros for the first).
    public var prevHash: String
    /// Hex SHA-256 of this entry's canonical form (see ``AuditChain``).
    public var hash: String

    /// Creates a value with the given fields.
    public init(seq: Int64, event: AuditEvent, prevHash: String, hash: String) {
        self.seq = seq
        self.event = event
        self.prevHash = prevHash
        self.hash = hash
    }
}

/// Which audit entries to read, newest first.
public struct AuditQuery: Sendable, Equatable {
    /// Only entries by this actor.
    public var actor: String?
    /// Only entries with this action.
    public var action: String?
    /// Only entries with this outcome.
    public var outcome: String?
    /// The team's id.
    public var teamID: String?
    /// Only entries about this target.
    public var target: String?
    /// Inclusive lower bound, milliseconds since the epoch.
    public var from: Int64?
    /// Exclusive upper bound, milliseconds since the epoch.
    public var to: Int64?
    /// Entries with `seq` below this one (for paging).
    public var beforeSeq: Int64?
    /// The most entries returned (1…1000).
    public var limit: Int

    /// Creates a value with the given fields.
    public init(actor: String? = nil, action: String? = nil, outcome: String? = nil, teamID: String? = nil, target: String? = nil,
                from: Int64? = nil, to: Int64? = nil, beforeSeq: Int64? = nil, limit: Int = 100) {
        self.actor = actor
        self.action = action
        self.outcome = outcome
        self.teamID = teamID
        self.target = target
        self.from = from
        self.to = to
        self.beforeSeq = beforeSeq
        self.limit = limit
    }
}

/// How spend is grouped in a report.
public enum SpendGrouping: String, Sendable, CaseIterable {
    case team, key, model, day, user
}

/// Which spend to sum.
public struct SpendQuery: Sendable, Equatable {
    /// What to sum by.
    public var groupBy: SpendGrouping
    /// Inclusive lower bound, milliseconds since the epoch.
    public var from: Int64?
    /// Exclusive upper bound, milliseconds since the epoch.
    public var to: Int64?
    /// Only this team's spend.
    public var teamID: String?

    /// Creates a value with the given fields.
    public init(groupBy: SpendGrouping, from: Int64? = nil, to: Int64? = nil, teamID: String? = nil) {
        self.groupBy = groupBy
        self.from = from
        self.to = to
        self.teamID = teamID
    }
}

/// One row of a spend report.
public struct SpendGroup: Sendable, Equatable {
    /// The team id, key id, model, user or day (`YYYY-MM-DD`, UTC); empty for requests without one.
    public var group: String
    /// How many requests.
    public var requests: Int
    /// Prompt tokens, cached ones included.
    public var inputTokens: Int
    /// Completion tokens.
    public var outputTokens: Int
    /// Prompt tokens read from the provider's prompt cache.
    public var cachedInputTokens: Int
    /// Prompt tokens written to the provider's prompt cache.
    public var cacheWriteTokens: Int
    /// Cost in nano-dollars (10⁻⁹ USD).
    public var costNanos: Int64

    /// Creates a value with the given fields.
    public init(group: String, requests: Int, inputTokens: Int, outputTokens: Int, cachedInputTokens: Int, cacheWriteTokens: Int, costNanos: Int64) {
        self.group = group
        self.requests = requests
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.costNanos = costNanos
    }
}

/// The outcome of checking the audit chain.
public struct AuditVerification: Sendable, Equatable {
    /// How many entries were checked.
    public var checked: Int
    /// The sequence number of the first entry that does not verify, nil when the chain is intact.
    public var firstBadSeq: Int64?
    /// Why that entry is bad.
    public var problem: String?
    /// The hash of the last entry (anchor it elsewhere to detect removal of entries at the end).
    public var headHash: String

    /// Whether every entry verified.
    public var isIntact: Bool { firstBadSeq == nil }

    /// Creates a value with the given fields.
    public init(checked: Int, firstBadSeq: Int64?, problem: String?, headHash: String) {
        self.checked = checked
        self.firstBadSeq = firstBadSeq
        self.problem = problem
        self.headHash = headHash
    }
}
