using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>The sample registry, its cards as tokens and its devices' secrets, and batch building.</summary>
internal static class TestKit
{
    public static readonly CityRegistry Registry = RegistryLoader.Load(SharedFixtures.RegistryPath);

    /// <summary>The file as written: the loaded registry keeps tokens only, the tests need the UIDs.</summary>
    private static readonly RegistryDocument SampleFile = ReadDocument();

    public static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    /// <summary>Token of the sample card with this UID.</summary>
    public static string Tok(string uid)
    {
        CardDef c = SampleFile.Cards!.Single(c => c.Uid == uid);
        Assert.True(CardTechs.TryParse(c.Tech, out CardTech tech));
        return Registry.TokenFor(tech, c.Uid);
    }

    public static string TechOf(string uid) => SampleFile.Cards!.Single(c => c.Uid == uid).Tech;

    private static RegistryDocument ReadDocument()
    {
        using FileStream stream = System.IO.File.OpenRead(SharedFixtures.RegistryPath);
        return RegistryLoader.Parse(stream, SharedFixtures.RegistryPath);
    }

    public static byte[] Key(string device) => Registry.FindDevice(device)!.Key;

    public static string Password(string device) => DeviceAuth.ComputeMqttPassword(Key(device));

    public static string Mac(string device, byte[] payload) => DeviceAuth.ComputeMac(Key(device), payload);

    public static string At(DateTimeOffset at) => at.ToOffset(Jst).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);

    public static JsonObject Board(ulong seq, string uid, DateTimeOffset at, string stop, string route = "R01", string vehicle = "V0042") =>
        Bus("board", seq, uid, at, stop, route, vehicle);

    public static JsonObject Alight(ulong seq, string uid, DateTimeOffset at, string stop, string route = "R01", string vehicle = "V0042") =>
        Bus("alight", seq, uid, at, stop, route, vehicle);

    private static JsonObject Bus(string type, ulong seq, string uid, DateTimeOffset at, string stop, string route, string vehicle) => new()
    {
        ["seq"] = seq,
        ["type"] = type,
        ["at"] = At(at),
        ["card"] = new JsonObject { ["tok"] = Tok(uid), ["tech"] = TechOf(uid) },
        ["ctx"] = new JsonObject { ["route"] = route, ["vehicle"] = vehicle, ["stop"] = stop },
        ["decision"] = "accept",
    };

    public static JsonObject EventIn(ulong seq, string uid, DateTimeOffset at, string ev) => new()
    {
        ["seq"] = seq,
        ["type"] = "event_in",
        ["at"] = At(at),
        ["card"] = new JsonObject { ["tok"] = Tok(uid), ["tech"] = TechOf(uid) },
        ["ctx"] = new JsonObject { ["event"] = ev },
        ["decision"] = "accept",
    };

    public static JsonObject Checkin(ulong seq, string uid, DateTimeOffset at, string clinic, int queue) => new()
    {
        ["seq"] = seq,
        ["type"] = "clinic_checkin",
        ["at"] = At(at),
        ["card"] = new JsonObject { ["tok"] = Tok(uid), ["tech"] = TechOf(uid) },
        ["ctx"] = new JsonObject { ["clinic"] = clinic, ["queue"] = queue },
        ["decision"] = "accept",
    };

    public static byte[] Batch(string device, params JsonObject[] events)
    {
        var arr = new JsonArray();
        foreach (JsonObject e in events)
        {
            arr.Add(e.DeepClone());
        }

        return Encoding.UTF8.GetBytes(new JsonObject { ["device"] = device, ["events"] = arr }.ToJsonString());
    }

    public static string Topic(string device) => Topics.Events(device);

    /// <summary>Every PID, UID and sector ID of the sample registry: none may appear where a sector may not see it.</summary>
    public static IEnumerable<string> Pids => Registry.Document.Persons!.Select(p => p.Pid);

    public static IEnumerable<string> Uids => SampleFile.Cards!.Select(c => c.Uid);

    public static IEnumerable<string> SectorIds(string sector) => Pids.Select(p => Registry.SectorIdFor(p, sector));

    public static string TempDir()
    {
        string d = Path.Combine(Path.GetTempPath(), "maebashi-ingest-test-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(d);
        return d;
    }

    public static JsonElement ParseJson(string text)
    {
        using JsonDocument d = JsonDocument.Parse(text);
        return d.RootElement.Clone();
    }
}
