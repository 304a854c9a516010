/// The version of Keep's programs.
public enum KeepVersion {
    public static let current = "0.1.0"
}
