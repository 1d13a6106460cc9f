import Foundation

/// One directory per test process for every temporary file, removed when the process exits.
public let testTempRoot: URL = {
    let root = FileManager.default.temporaryDirectory
        .appendingPathComponent("kalm-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    atexit {
        try? FileManager.default.removeItem(at: testTempRoot)
    }
    return root
}()

/// A fresh directory under `testTempRoot`.
public func tempDirectory() throws -> URL {
    let dir = testTempRoot.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A temporary file holding `text`, in a fresh directory of its own.
public func tempFile(_ text: String, name: String = "kalm.yml") throws -> String {
    let path = try tempDirectory().appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
