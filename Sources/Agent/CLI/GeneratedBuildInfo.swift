/// Build metadata. `revision` is replaced at build time by `scripts/stamp-revision`
/// when run from a git checkout; a plain `swift build` reports "unknown".
enum GeneratedBuildInfo {
    static let revision = "unknown"
}
