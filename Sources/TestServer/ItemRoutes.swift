import Foundation
import NIOCore
import NIOHTTP1

/// `/api/items`: a small JSON CRUD API behind a bearer token from `/oauth/token`, so tests
/// can drive an authenticated multi-step journey (create, read, delete) end to end.
///
/// - `POST /api/items` with a JSON object → 201, `Location: /api/items/ID`, the object plus `"id"`
/// - `GET /api/items/ID` → 200 with the stored object, or 404
/// - `DELETE /api/items/ID` → 204, or 404
///
/// Every request needs a valid token first (else 401 `invalid_token`), whatever its path or method.
enum ItemRoutes {
    /// The collection's path.
    static let collection = "/api/items"

    /// Whether `path` is the collection or anything below it.
    static func matches(_ path: String) -> Bool {
        path == collection || path.hasPrefix(collection + "/")
    }

    /// Answers a request to a path `matches` accepted; `body` is the buffered request body.
    static func handle(head: HTTPRequestHead, path: String, body: ByteBuffer?, state: ServerState) -> RouteReply {
        guard OAuthRoutes.isAuthorized(head, state: state) else { return OAuthRoutes.invalidToken(state: state) }
        if path == collection {
            guard head.method == .POST else {
                return .jsonError(.methodNotAllowed, "method_not_allowed", headers: [("Allow", "POST")])
            }
            return create(body: body, state: state)
        }
        let id = String(path.dropFirst(collection.count + 1))
        guard !id.isEmpty, !id.contains("/") else { return notFound }
        switch head.method {
        case .GET, .HEAD:
            guard let json = state.item(id) else { return notFound }
            return .json(.ok, json)
        case .DELETE:
            return state.removeItem(id) ? RouteReply(status: .noContent) : notFound
        default:
            return .jsonError(.methodNotAllowed, "method_not_allowed", headers: [("Allow", "GET, HEAD, DELETE")])
        }
    }

    private static let notFound = RouteReply.jsonError(.notFound, "not_found")

    /// `POST /api/items`: stores the body, which must be one JSON object.
    private static func create(body: ByteBuffer?, state: ServerState) -> RouteReply {
        let bytes = body.map { Data($0.readableBytesView) } ?? Data()
        guard let object = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any],
              let (id, json) = try? state.addItem(object) else {
            return .jsonError(.badRequest, "invalid_json")
        }
        return .json(.created, json, headers: [("Location", "\(collection)/\(id)")])
    }
}
