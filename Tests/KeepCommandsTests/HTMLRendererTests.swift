import Foundation
import Testing

@testable import KeepCommands

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("HTMLRenderer: one self-contained, well-formed HTML file")
struct HTMLRendererTests {
    let html = HTMLRenderer().render(ReportFixtures.report())

    private func document() throws -> XMLDocument { try XMLDocument(xmlString: html, options: []) }

    private func texts(_ xpath: String, in document: XMLDocument) throws -> [String] {
        try document.nodes(forXPath: xpath).map { $0.stringValue ?? "" }
    }

    @Test("the summary's hosts table has a row per host with its OS in the OS column")
    func hostsTable() throws {
        let document = try document()
        let rows = try document.nodes(forXPath: "//table[@class='hosts']/tbody/tr")
        #expect(rows.count == 2)
        #expect(try texts("//table[@class='hosts']/tbody/tr/td[1]", in: document) == ["web-01", "web-02"])
        #expect(
            try texts("//table[@class='hosts']/tbody/tr/td[2]", in: document)
                == ["Debian GNU/Linux 12 (bookworm)", "Debian GNU/Linux 11 (bullseye)"])
        #expect(try texts("//table[@class='hosts']/thead/tr/th[2]", in: document) == ["OS"])
        // The host links point at the host sections.
        let links = try texts("//table[@class='hosts']/tbody/tr/td[1]/a/@href", in: document)
        #expect(
            try links.map { try texts("//section[@id='\($0.dropFirst())']/h2", in: document) } == [
                ["web-01"], ["web-02"],
            ])
    }

    @Test("the pool's accounts table lists each name once with its hosts")
    func poolUsers() throws {
        let document = try document()
        #expect(
            try texts("//table[@class='pool-users']/tbody/tr/td[1]", in: document)
                == [ReportFixtures.injected, "alice", "bob", "shop-admin"])
        #expect(
            try texts("//table[@class='pool-users']/tbody/tr[td[1]='alice']/td[4]", in: document) == ["web-01, web-02"])
    }

    @Test("each host section holds its accounts, packages and services in the right cells")
    func hostSections() throws {
        let document = try document()
        let web02 = "//section[@class='host'][h2='web-02']"
        #expect(
            try texts("\(web02)//table[@class='users']/tbody/tr/td[1]", in: document) == [
                ReportFixtures.injected, "alice", "bob",
            ])
        #expect(
            try texts("\(web02)//table[@class='users']/tbody/tr[td[1]='alice']/td[6]", in: document) == ["/bin/zsh"])
        #expect(try texts("\(web02)//details[@class='packages']/summary", in: document) == ["2 packages (dpkg)"])
        #expect(
            try texts("\(web02)//table[@class='packages']/tbody/tr/td[1]", in: document) == [
                "adduser", "postgresql-15",
            ])
        #expect(
            try texts("\(web02)//table[@class='packages']/tbody/tr[td[1]='postgresql-15']/td[2]", in: document)
                == ["15.8-0+deb12u1"])
        let web01 = "//section[@class='host'][h2='web-01']"
        #expect(
            try texts("\(web01)//table[@class='packages']/tbody/tr/td[1]", in: document) == [
                "adduser", "nginx", "openssl",
            ])
        #expect(
            try texts("\(web01)//table[@class='services']/tbody/tr/td[1]", in: document) == [
                "backup.service", "nginx.service",
            ])
        #expect(try texts("\(web01)//table[@class='filesystems']/tbody/tr/td[1]", in: document) == ["/", "/srv"])
        #expect(try texts("\(web01)//table[@class='filesystems']/tbody/tr[td[1]='/']/td[6]", in: document) == ["75 %"])
        #expect(try texts("\(web01)//details[@class='system-accounts']/summary", in: document) == ["2 system accounts"])
    }

    @Test("markup in an account name or home stays text: no script element, the cell holds the literal string")
    func injection() throws {
        let document = try document()
        #expect(try document.nodes(forXPath: "//script").isEmpty)
        #expect(try document.nodes(forXPath: "//b").isEmpty)
        let web02 = "//section[@class='host'][h2='web-02']//table[@class='users']/tbody/tr[1]"
        #expect(try texts("\(web02)/td[1]", in: document) == [ReportFixtures.injected])
        #expect(try texts("\(web02)/td[5]", in: document) == [ReportFixtures.injectedHome])
        #expect(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
    }

    @Test("the file is self-contained: inline style, print rules, no scripts, links or remote assets")
    func selfContained() throws {
        let document = try document()
        #expect(try document.nodes(forXPath: "//link | //img | //iframe | //*[@src]").isEmpty)
        let style = try texts("/html/head/style", in: document).joined()
        #expect(style.contains("@media print"))
        #expect(!html.contains("http://") && !html.contains("https://"))
    }

    @Test("control characters that XML forbids are replaced, so the file stays parseable")
    func controlCharacters() {
        #expect(HTMLText.escape("a\u{1}b\u{1B}[31m\tc") == "a\u{FFFD}b\u{FFFD}[31m\tc")
    }
}
