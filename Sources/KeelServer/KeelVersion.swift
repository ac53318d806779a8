/// Keel's version, as `keel --version` prints it.
public enum KeelVersion {
    public static let current = "0.1.0"
}
