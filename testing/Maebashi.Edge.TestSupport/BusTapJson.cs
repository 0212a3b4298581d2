using System.Globalization;
using System.Text.Json.Nodes;

namespace Maebashi.Edge.TestSupport;

/// <summary>A bus terminal's recorded tap as its batch carries it (docs/contract.md §5.1), for tests and benchmarks that play devices.</summary>
public static class BusTapJson
{
    public static JsonObject Tap(ulong seq, string type, DateTimeOffset at, string tok, string vehicle, string stop, string route = "R01") => new()
    {
        ["seq"] = seq,
        ["type"] = type,
        ["at"] = at.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
        ["card"] = new JsonObject { ["tok"] = tok, ["tech"] = "iso14443a" },
        ["ctx"] = new JsonObject { ["route"] = route, ["vehicle"] = vehicle, ["stop"] = stop },
        ["decision"] = "accept",
    };
}
