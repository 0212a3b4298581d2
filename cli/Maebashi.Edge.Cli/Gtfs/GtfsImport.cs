using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Cli.Gtfs;

/// <summary>
/// What an import did: its problems (then nothing was written), its warnings, and what it wrote; or why it could
/// not run at all (<see cref="CannotRun"/>: a feed or registry that cannot be opened).
/// </summary>
public sealed record GtfsImportResult(IReadOnlyList<GtfsProblem> Problems, IReadOnlyList<string> Warnings, string? Summary, string? CannotRun = null);

/// <summary>
/// <c>registry import-gtfs</c>: reads a GTFS-JP feed, builds the registry's agencies, routes and fare tables from it,
/// merges them into the registry file, checks the result with the registry's own validator and writes it, or
/// writes nothing and lists every problem.
/// </summary>
public sealed class GtfsImport(TimeProvider time)
{
    /// <summary>A feed ending this soon is said to be ending: operators publish the next one about a month ahead.</summary>
    public static readonly TimeSpan ExpiryNotice = TimeSpan.FromDays(30);

    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    /// <summary>The registry as people read and diff it: indented, Japanese names as they are.</summary>
    private static readonly JsonSerializerOptions Written = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public GtfsImportResult Run(string feedPath, string registryPath, string outPath, IReadOnlyCollection<string> agencies)
    {
        var problems = new GtfsProblems();
        var warnings = new List<string>();
        GtfsFeed feed;
        try
        {
            using GtfsFeedSource source = GtfsFeedSource.Open(feedPath);
            feed = GtfsFeedReader.Read(source, problems);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return new GtfsImportResult([], warnings, null, $"--feed {feedPath}: cannot read the feed ({e.Message})");
        }

        WarnOfEnd(feed, warnings);
        ImportedFeed imported = GtfsRegistryBuilder.Build(feed, agencies, problems, warnings);

        if (!File.Exists(registryPath))
        {
            return new GtfsImportResult([], warnings, null, $"--registry {registryPath}: no such file");
        }

        JsonObject? registry = ReadRegistry(registryPath, problems);
        if (registry is null || problems.Count > 0)
        {
            return new GtfsImportResult(problems.All, warnings, null);
        }

        GtfsRegistryMerger.Counts counts = GtfsRegistryMerger.Merge(registry, imported, problems);
        byte[] output = JsonSerializer.SerializeToUtf8Bytes(registry, Written);

        // The same check `registry check` makes: what is written loads.
        try
        {
            using var stream = new MemoryStream(output);
            RegistryDocument doc = RegistryLoader.Parse(stream, outPath);
            foreach (RegistryProblem p in RegistryValidator.Validate(doc))
            {
                problems.Add(Path.GetFileName(outPath), 0, $"{p.Entry}.{p.Field}", p.Message);
            }
        }
        catch (RegistryException e)
        {
            foreach (RegistryProblem p in e.Problems)
            {
                problems.Add(Path.GetFileName(registryPath), 0, $"{p.Entry}.{p.Field}", p.Message);
            }
        }

        if (problems.Count > 0)
        {
            return new GtfsImportResult(problems.All, warnings, null);
        }

        Write(outPath, output);
        int stops = imported.Routes.SelectMany(r => r.Stops).Select(s => s.Id).Distinct(StringComparer.Ordinal).Count();
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"{imported.Agencies.Count} agencies, {imported.Routes.Count} routes ({imported.Routes.Count(r => r.Kind == RouteKinds.Flat)} flat, {imported.Routes.Count(r => r.Kind == RouteKinds.Table)} table), {stops} stops, {imported.FareTables.Count} fare tables; {counts.RoutesReplaced} routes replaced, {counts.RoutesKept} other routes kept");
        return new GtfsImportResult(problems.All, warnings, summary);
    }

    private void WarnOfEnd(GtfsFeed feed, List<string> warnings)
    {
        if (feed.EndDate is not { } end)
        {
            return;
        }

        // Service days are Japanese calendar days.
        DateOnly today = DateOnly.FromDateTime(time.GetUtcNow().ToOffset(Jst).DateTime);
        string date = end.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        int days = end.Date.DayNumber - today.DayNumber;
        if (days < 0)
        {
            warnings.Add($"運行データの有効期限が切れています（{date} まで）/ the feed ended on {date} ({end.Source})");
        }
        else if (days <= ExpiryNotice.Days)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"運行データの有効期限まであと {days} 日（{date} まで）/ the feed ends on {date}, in {days} days ({end.Source})"));
        }
    }

    private static JsonObject? ReadRegistry(string path, GtfsProblems problems)
    {
        try
        {
            using FileStream stream = File.OpenRead(path);
            if (JsonNode.Parse(stream, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) is JsonObject registry)
            {
                return registry;
            }

            problems.Add(Path.GetFileName(path), 0, "$", "the file holds no JSON object, not a registry");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add(Path.GetFileName(path), 0, "$", $"cannot read the file: {e.Message}");
        }
        catch (JsonException e)
        {
            problems.Add(Path.GetFileName(path), (int)(e.LineNumber + 1 ?? 0), "$", $"not JSON: {e.Message}");
        }

        return null;
    }

    /// <summary>Written whole or not at all: a half-written registry would stop an ingest at its next start.</summary>
    private static void Write(string path, byte[] content)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, content);
        File.Move(temp, full, overwrite: true);
    }
}
