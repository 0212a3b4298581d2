using Maebashi.Edge.Contract.Identity;

namespace Maebashi.Edge.Terminal.Config;

/// <summary>A secret file could not be used; the message names the file and what is wrong (never its content).</summary>
public sealed class SecretFileException(string message) : Exception(message);

/// <summary>Keys and passwords live in files only their owner can read (docs/contract.md §9); anything else is refused.</summary>
public static class SecretFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                       UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Why the file cannot hold a secret (missing, readable by others), or null if it can.</summary>
    public static string? Problem(string path)
    {
        if (!File.Exists(path))
        {
            return $"{path}: no such file";
        }

        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        return (mode & Others) != 0
            ? $"{path}: mode {Octal(mode)} lets other users read it; a secret file must be owner-only (chmod 600)"
            : null;
    }

    public static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    /// <summary>Reads a hex key of at least 16 bytes from an owner-only file.</summary>
    public static byte[] ReadKey(string path, string what)
    {
        if (Problem(path) is { } why)
        {
            throw new SecretFileException($"{what}: {why}");
        }

        string text = File.ReadAllText(path).Trim();
        if (!Hex.TryParse(text, out byte[] key))
        {
            throw new SecretFileException($"{what}: {path}: expected the key as hex digits on one line");
        }

        if (key.Length < 16)
        {
            throw new SecretFileException($"{what}: {path}: a key has at least 16 bytes, this one {key.Length}");
        }

        return key;
    }

    /// <summary>Reads a password (the file's first line) from an owner-only file.</summary>
    public static string ReadPassword(string path, string what)
    {
        if (Problem(path) is { } why)
        {
            throw new SecretFileException($"{what}: {why}");
        }

        string text = File.ReadLines(path).FirstOrDefault()?.Trim() ?? "";
        return text.Length == 0 ? throw new SecretFileException($"{what}: {path}: empty") : text;
    }

    /// <summary>Writes a secret file readable by its owner only (the mode is set before the content is written).</summary>
    public static void Write(string path, string content) =>
        AtomicFile.Write(path, System.Text.Encoding.UTF8.GetBytes(content + "\n"), OwnerOnly);
}
