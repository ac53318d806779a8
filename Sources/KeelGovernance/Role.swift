/// What a caller may do.
///
/// | role          | models | own team's keys | own team's spend and audit log | teams, every team |
/// |---------------|--------|-----------------|--------------------------------|-------------------|
/// | `super_admin` | yes    | yes             | yes                            | yes               |
/// | `team_admin`  | yes    | manage          | read                           | no                |
/// | `developer`   | yes    | no              | no                             | no                |
/// | `viewer`      | no     | no              | read                           | no                |
///
/// The master key is `super_admin`; virtual keys default to `developer`.
public enum Role: String, Sendable, CaseIterable, Comparable {
    case viewer
    case developer
    case teamAdmin = "team_admin"
    case superAdmin = "super_admin"

    /// Whether the role may call models on the data plane.
    public var canUseModels: Bool { self != .viewer }
    /// Whether the role may read its team's spend and audit log.
    public var canReadTeamReports: Bool { self == .viewer || self == .teamAdmin || self == .superAdmin }
    /// Whether the role may create, rotate and revoke its team's keys.
    public var canManageTeamKeys: Bool { self == .teamAdmin || self == .superAdmin }

    private var rank: Int {
        switch self {
        case .viewer: 0
        case .developer: 1
        case .teamAdmin: 2
        case .superAdmin: 3
        }
    }

    /// Orders roles from least to most privileged.
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
