using System.IO.Compression;

namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>
/// Where a feed's files come from: a folder, or a zip as operators publish it (files at the top or in one folder).
/// </summary>
public sealed class GtfsFeedSource : IDisposable
{
    /// <summary>A feed file larger than this is refused rather than read (a zip may claim any size).</summary>
    public const long MaxFileBytes = 512L * 1024 * 1024;

    private readonly string? _folder;
    private readonly ZipArchive? _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);

    private GtfsFeedSource(string? folder, ZipArchive? zip)
    {
        _folder = folder;
        _zip = zip;
        foreach (ZipArchiveEntry e in zip?.Entries ?? [])
        {
            if (e.Name.EndsWith(".txt", StringComparison.Ordinal))
            {
                _entries.TryAdd(e.Name, e);
            }
        }
    }

    /// <summary>Opens a folder or a zip file; throws <see cref="IOException"/> or <see cref="InvalidDataException"/> when it cannot.</summary>
    public static GtfsFeedSource Open(string path)
    {
        if (Directory.Exists(path))
        {
            return new GtfsFeedSource(path, null);
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no such file or folder: {path}");
        }

        return new GtfsFeedSource(null, ZipFile.OpenRead(path));
    }

    public bool Has(string name) => _zip is null ? File.Exists(Path.Combine(_folder!, name)) : _entries.ContainsKey(name);

    /// <summary>The file's size in bytes as the folder or the zip's directory says.</summary>
    public long Length(string name) => _zip is null ? new FileInfo(Path.Combine(_folder!, name)).Length : _entries[name].Length;

    /// <summary>The file's bytes (UTF-8, with or without a byte order mark: the CSV reader decodes them).</summary>
    public Stream OpenRead(string name) => _zip is null
        ? new FileStream(Path.Combine(_folder!, name), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan)
        : _entries[name].Open();

    public void Dispose() => _zip?.Dispose();
}
