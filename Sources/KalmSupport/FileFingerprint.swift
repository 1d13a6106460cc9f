import Foundation

/// What tells that a file changed: its device, inode, size and modification time (a
/// Kubernetes secret's symlink swap changes the inode `stat` sees; nil for a missing file).
public struct FileFingerprint: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: timespec

    public static func == (a: FileFingerprint, b: FileFingerprint) -> Bool {
        a.device == b.device && a.inode == b.inode && a.size == b.size
            && a.modified.tv_sec == b.modified.tv_sec && a.modified.tv_nsec == b.modified.tv_nsec
    }

    public static func of(_ path: String) -> FileFingerprint? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileFingerprint(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
                               modified: info.st_mtim)
    }

    /// Every path's fingerprint; a missing file maps to a sentinel so its return is seen.
    public static func of(_ paths: [String]) -> [String: FileFingerprint] {
        Dictionary(paths.map { ($0, of($0) ?? missing) }, uniquingKeysWith: { a, _ in a })
    }

    public static let missing = FileFingerprint(device: 0, inode: 0, size: -1, modified: timespec())
}
