/// This build's version, as `mahavishnu --version`, `mahavishnu-pool --version` and the broker's
/// `info` reply give it.
public enum MahavishnuVersion {
    /// The version string (semantic versioning).
    public static let current = "0.1.0"
}
