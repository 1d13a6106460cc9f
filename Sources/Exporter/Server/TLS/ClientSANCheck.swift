import Foundation
import NIOCore
import NIOSSL
import NIOTLS

/// `client_allowed_sans`: once the handshake is done, closes the connection unless the
/// client certificate carries one of the allowed DNS, email, IP or URI names (as
/// exporter-toolkit checks them). Sits right after the TLS handler, so no request is read
/// from a connection that has not passed.
final class ClientSANCheck: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let allowed: Set<String>
    private var passed = false

    init(allowed: [String]) {
        self.allowed = Set(allowed)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Data only flows after the handshake event; this is a guard, not the check.
        guard passed else { return context.close(promise: nil) }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
            if let certificate = tls?.peerCertificate, Self.names(of: certificate).contains(where: allowed.contains) {
                passed = true
            } else {
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The certificate's subject alternative names as Go prints them: DNS names, emails,
    /// IPs (dotted or RFC 5952 text) and URIs.
    static func names(of certificate: NIOSSLCertificate) -> [String] {
        certificate._subjectAlternativeNames().compactMap { name -> String? in
            let bytes = Array(name.contents)
            switch name.nameType {
            case .dnsName, .email, .uri:
                return String(decoding: bytes, as: UTF8.self)
            case .ipAddress:
                return ipText(bytes)
            default:
                return nil
            }
        }
    }

    private static func ipText(_ bytes: [UInt8]) -> String? {
        var buffer = [CChar](repeating: 0, count: 64)
        let family: Int32
        switch bytes.count {
        case 4: family = AF_INET
        case 16: family = AF_INET6
        default: return nil
        }
        return bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
        }
    }
}
