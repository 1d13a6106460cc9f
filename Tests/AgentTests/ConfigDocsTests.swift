import Foundation
import Testing
@testable import Agent

/// docs/configuration.md documents every key the config decoder accepts, so the reference
/// cannot fall behind the code.
@Suite struct ConfigDocsTests {
    static let docs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/configuration.md")

    /// Every key of every block, as the decoder lists them.
    static var decoderKeys: [String] {
        var keys = ConfigDecoder.topLevelKeys + ConfigDecoder.agentKeys + ConfigDecoder.agentPlannedKeys
            + ConfigDecoder.requestKeys + ConfigDecoder.tlsKeys + ConfigDecoder.probeKeys
            + ConfigDecoder.thresholdLongKeys + ConfigDecoder.scenarioCommonKeys + ConfigDecoder.checkKeys
        keys += ConfigDecoder.executorKeys.flatMap(\.keys) + ConfigDecoder.executorKeys.map(\.name)
        keys += ConfigDecoder.stepKeys + ConfigDecoder.defaultsKeys + ConfigDecoder.captureKinds + ConfigDecoder.dataKeys
            + ConfigDecoder.oauth2Keys + ["basic", "oauth2", "username", "password", "h2c"]
        return Array(Set(keys)).sorted()
    }

    @Test func everyKeyTheDecoderAcceptsIsDocumented() throws {
        let text = try String(contentsOf: Self.docs, encoding: .utf8)
        #expect(Self.decoderKeys.count > 40)
        for key in Self.decoderKeys {
            #expect(text.contains("`\(key)`"), "docs/configuration.md never names `\(key)`")
        }
    }
}
