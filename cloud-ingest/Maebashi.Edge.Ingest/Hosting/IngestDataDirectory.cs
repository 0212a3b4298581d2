namespace Maebashi.Edge.Ingest.Hosting;

/// <summary>The directory the store, the audit log and retained messages live in (created when the store opens).</summary>
public sealed record IngestDataDirectory(string Path)
{
    /// <summary><c>--data</c>, or a fresh directory under the temp directory when it was not given.</summary>
    public static IngestDataDirectory For(IngestOptions options) =>
        new(options.DataDirectory ?? System.IO.Path.Combine(System.IO.Path.GetTempPath(), "maebashi-ingest-" + Guid.NewGuid().ToString("N")[..12]));
}
