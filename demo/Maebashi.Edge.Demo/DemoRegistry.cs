using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;

namespace Maebashi.Edge.Demo;

/// <summary>
/// The demo's registry: the sample registry's people, cards, routes and devices, with its two events
/// moved to today (so the volunteers' taps fall inside their windows), its 7-byte Type A cards made authenticated
/// city cards (NTAG 424 DNA with SUN, unless the source says otherwise), and one person's My Number card linked (the
/// clinic's PN532 reads it, with the patient's PIN).
/// </summary>
public static class DemoRegistry
{
    /// <summary>The certificate serial of the demo patient's My Number card (the card's uid).</summary>
    public const string MyNumberSerial = "5A3C0F1E2D4B6879";

    /// <summary>Whose My Number card it is.</summary>
    public const string MyNumberPid = "P0004";

    public static string Write(string dir, DateTimeOffset now, TimeSpan firstEvent, string? source = null)
    {
        JsonObject doc = JsonNode.Parse(source is null ? Embedded() : File.ReadAllText(source))!.AsObject();
        var jst = TimeSpan.FromHours(9);
        DateTimeOffset start = now.ToOffset(jst).AddMinutes(-30);
        // Seconds are dropped so the times read well in the report.
        start = new DateTimeOffset(start.Year, start.Month, start.Day, start.Hour, start.Minute, 0, jst);
        // The site holds its events one after the other: the first (volunteering) for the first part of the
        // demo, the next (a health walk, points per hour) from the instant it ends: no gap in which a volunteer's tap
        // finds no event open (both ends of a window are inclusive; at the shared instant the earlier event is chosen).
        DateTimeOffset end = now.ToOffset(jst).Add(firstEvent);
        end = new DateTimeOffset(end.Year, end.Month, end.Day, end.Hour, end.Minute, end.Second, jst);
        foreach (JsonNode? ev in doc["events"]?.AsArray() ?? [])
        {
            ev!["start"] = Iso(start);
            ev["end"] = Iso(end);
            start = end;
            end = start.AddHours(6);
        }

        foreach (JsonNode? card in doc["cards"]!.AsArray())
        {
            if (card!["tech"]?.GetValue<string>() == "iso14443a" && card["uid"]?.GetValue<string>().Length == 14 && card["auth"] is null)
            {
                card["auth"] = "ntag424-sun";
            }
        }

        doc["cards"]!.AsArray().Add(new JsonObject { ["uid"] = MyNumberSerial, ["tech"] = "jpki", ["pid"] = MyNumberPid, ["status"] = "active" });
        string path = Path.Combine(dir, "registry.demo.json");
        File.WriteAllText(path, doc.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
        return path;
    }

    private static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    private static string Embedded()
    {
        using Stream s = Assembly.GetExecutingAssembly().GetManifestResourceStream("registry.sample.json")
            ?? throw new InvalidOperationException("the sample registry is not embedded");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
