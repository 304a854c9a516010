import KeepCore
import Testing

@Suite struct PeerIdentityTests {
    @Test func parsesAgentSubject() {
        let identity = PeerIdentity(commonName: "agent:web-01", organizationalUnit: "fe-01")
        #expect(identity == PeerIdentity(role: .agent, name: "web-01", pool: "fe-01"))
    }

    @Test func refusesMalformedSubjects() {
        #expect(PeerIdentity(commonName: "agent:web-01", organizationalUnit: nil) == nil)
        #expect(PeerIdentity(commonName: "root:web-01", organizationalUnit: nil) == nil)
        #expect(PeerIdentity(commonName: "operator:../etc", organizationalUnit: nil) == nil)
        #expect(PeerIdentity(commonName: "operator:", organizationalUnit: nil) == nil)
        #expect(PeerIdentity(commonName: "web-01", organizationalUnit: nil) == nil)
    }

    @Test func hexRoundTrip() {
        let id = ChunkID(bytes: (0..<32).map { UInt8($0 * 7 & 0xff) })
        #expect(id.flatMap { ChunkID(hex: $0.hex) } == id)
        #expect(ChunkID(hex: "zz") == nil)
    }

    @Test func stampsAreUTC() {
        #expect(UTCStamp.compact(0) == "19700101T000000")
        #expect(UTCStamp.readable(1_795_379_052) == "2026-11-22 20:24:12Z")
    }
}
