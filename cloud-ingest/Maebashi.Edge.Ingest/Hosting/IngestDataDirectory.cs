namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>The directory the store, the audit log and retained messages live in (created at start).</summary>
public sealed record IngestDataDirectory(string Path)
{
    /// <summary><c>--data</c>, or a fresh directory under the temp directory when it was not given; created if missing.</summary>
    public static IngestDataDirectory For(IngestOptions options)
    {
        string path = options.DataDirectory ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "maebashi-ingest-" + Guid.NewGuid().ToString("N")[..12]);

        // Whatever the store: the audit log is written here even when the store is PostgreSQL (the LiteDB store
        // used to be the only one to create it, and the first audited request then failed with a 500).
        Directory.CreateDirectory(path);
        return new(path);
    }
}
