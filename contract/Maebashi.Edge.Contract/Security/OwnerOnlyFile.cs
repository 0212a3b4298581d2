namespace Maebashi.Edge.Contract.Security;

/// <summary>
/// The rule for a file that holds a secret (card master keys, a database password): readable by its owner only,
/// no group or other permission bits, as libpq and ssh require of theirs.
/// </summary>
public static class OwnerOnlyFile
{
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// The file's mode in octal (e.g. <c>0644</c>) when it lets its group or others in, for the caller's message;
    /// null when it is owner-only (or on Windows, whose ACLs this does not judge).
    /// </summary>
    public static string? OpenToOthers(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        return (mode & Others) != 0 ? Convert.ToString((int)mode, 8).PadLeft(4, '0') : null;
    }
}
