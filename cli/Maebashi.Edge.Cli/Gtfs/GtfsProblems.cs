using System.Globalization;

namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>One problem in a GTFS feed: the file, the line (1 is the header) and the field, and what is wrong.</summary>
public sealed record GtfsProblem(string File, int Line, string Field, string Message)
{
    /// <summary>E.g. <c>stops.txt line 12, stop_lat: …</c>; a whole-file problem has line 0 and says so.</summary>
    public override string ToString() => Line > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{File} line {Line}, {Field}: {Message}")
        : $"{File}, {Field}: {Message}";
}

/// <summary>
/// Every problem the import finds, collected rather than thrown, so that one run lists them all; a non-empty list
/// means nothing is written.
/// </summary>
public sealed class GtfsProblems
{
    private readonly List<GtfsProblem> _all = [];

    public IReadOnlyList<GtfsProblem> All => _all;
    public int Count => _all.Count;

    public void Add(string file, int line, string field, string message) => _all.Add(new GtfsProblem(file, line, field, message));
}
