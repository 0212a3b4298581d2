using CsvHelper;

namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>One row of a feed file: its line (1 is the header) and its fields by column name.</summary>
public readonly struct GtfsRow(string file, int line, Dictionary<string, int> columns, string[] fields)
{
    public string File { get; } = file;
    public int Line { get; } = line;

    /// <summary>The field, trimmed; empty when the column is absent or the row is short.</summary>
    public string this[string column] => columns.TryGetValue(column, out int i) && i < fields.Length ? fields[i] : "";

    public bool HasColumn(string column) => columns.ContainsKey(column);
}

/// <summary>
/// Reads one CSV file of a feed with CsvHelper's reader (RFC 4180 quoting, a UTF-8 byte order mark, blank lines),
/// checking its header for the columns the import needs. Rows are streamed: stop_times.txt runs to millions.
/// </summary>
public static class GtfsCsv
{
    private static readonly CsvReaderOptions Options = new()
    {
        Separator = ',',
        HasHeader = true,
        TrimWhitespace = true,
        SkipEmptyLines = true,
        TrackLineNumbers = true,
        AllowLineBreaksInQuotes = true,
        MalformedData = CsvMalformedDataHandling.Recover,
        FieldCountMismatch = CsvFieldCountHandling.Allow,
    };

    /// <summary>
    /// The rows of <paramref name="file"/>; none when it is absent (a problem if <paramref name="required"/>) or its
    /// header lacks a column of <paramref name="columns"/> (a problem naming each).
    /// </summary>
    public static IEnumerable<GtfsRow> Read(GtfsFeedSource source, string file, bool required, string[] columns, GtfsProblems problems)
    {
        if (!source.Has(file))
        {
            if (required)
            {
                problems.Add(file, 0, "(file)", "missing: a GTFS feed needs it");
            }

            yield break;
        }

        if (source.Length(file) > GtfsFeedSource.MaxFileBytes)
        {
            problems.Add(file, 0, "(file)", $"larger than {GtfsFeedSource.MaxFileBytes / (1024 * 1024)} MiB: refused");
            yield break;
        }

        using CsvReader csv = CsvReader.Create(source.OpenRead(file), Options, leaveOpen: false);
        // A UTF-8 byte order mark is not part of the first column's name (files saved by Excel have one).
        string[] header = [.. (csv.Headers ?? []).Select((h, i) => i == 0 ? h.TrimStart('\uFEFF') : h)];
        if (header.Length == 0 || (header.Length == 1 && header[0].Length == 0))
        {
            problems.Add(file, 1, "(header)", "the file is empty: no header");
            yield break;
        }

        var index = new Dictionary<string, int>(header.Length, StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++)
        {
            index.TryAdd(header[i], i);
        }

        bool complete = true;
        foreach (string column in columns.Where(c => !index.ContainsKey(c)))
        {
            problems.Add(file, 1, column, "missing column");
            complete = false;
        }

        if (!complete)
        {
            yield break;
        }

        while (csv.Read())
        {
            int line = (int)csv.LineNumber;
            if (csv.FieldCount != header.Length)
            {
                problems.Add(file, line, "(row)", $"{csv.FieldCount} fields where the header has {header.Length}");
                continue;
            }

            string[] fields = new string[header.Length];
            for (int i = 0; i < fields.Length; i++)
            {
                fields[i] = csv.GetString(i) ?? "";
            }

            yield return new GtfsRow(file, line, index, fields);
        }
    }
}
