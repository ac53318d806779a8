import Foundation
import KeelTestSupport
import Testing

/// Numbers that would overflow the server's arithmetic are refused with a 400, never a crash.
@Suite("Admin inputs out of range")
struct AdminInputLimitsTests {
    @Test func outOfRangeTimesAndLimitsAre400() async throws {
        try await withTestApplication(configure: { AdminAPITests.configure(&$0) }) { app, _ in
            let api = AdminClient(port: app.port)
            let team = try await api.team("limits", key: AdminAPITests.master)
            for query in ["from=nan", "from=inf", "from=1e300", "to=-5"] {
                let reply = try await api.call("GET", "/admin/spend?group_by=day&\(query)", key: AdminAPITests.master)
                #expect(reply.status == 400, "\(query)")
            }
            for body in [
                #"{"team":"\#(team)","expires_at":1e300}"#,
                #"{"team":"\#(team)","rpm_limit":9223372036854775807}"#,
                #"{"team":"\#(team)","tpm_limit":1e18}"#,
            ] {
                let reply = try await api.call("POST", "/admin/keys", key: AdminAPITests.master, body: body)
                #expect(reply.status == 400, "\(body)")
            }
            // The server is still up.
            #expect(try await api.call("GET", "/admin/whoami", key: AdminAPITests.master).status == 200)
        }
    }
}
