namespace Maebashi.Edge.Terminal;

/// <summary>Small state files replaced whole: write a temporary file, fsync it, rename over the old one.</summary>
internal static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode? mode = null)
    {
        string tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            if (mode is { } m && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(tmp, m);
            }

            fs.Write(content);
            fs.Flush(flushToDisk: true);
        }

        File.Move(tmp, path, overwrite: true);
    }
}
