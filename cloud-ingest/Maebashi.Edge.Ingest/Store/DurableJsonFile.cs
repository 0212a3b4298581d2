using System.Text.Json;

namespace Maebashi.Edge.Ingest.Store;

/// <summary>
/// Replaces a small JSON file so a crash leaves the old or the new one, never half of either: written to a temporary
/// file beside it, flushed to disk, then renamed over it.
/// </summary>
public static class DurableJsonFile
{
    /// <param name="ownerOnly">Create the file readable by its owner only (it holds hashes or tokens).</param>
    public static void Write<T>(string path, T value, JsonSerializerOptions options, bool ownerOnly)
    {
        string full = Path.GetFullPath(path);
        string temp = full + ".tmp";
        var streamOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, streamOptions))
        {
            JsonSerializer.Serialize(stream, value, options);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, full, overwrite: true);
    }
}
