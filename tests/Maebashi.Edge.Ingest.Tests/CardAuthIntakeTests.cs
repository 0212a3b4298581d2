using System.Text.Json.Nodes;
using Maebashi.Edge.CardAuth.Sun;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.CardAuth;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// An NTAG 424 DNA city card at intake: a read with a good SUN message is applied; a read without one is refused as
/// unauthenticated; a forged or transplanted message is a clone signal that puts the card on the deny list.
/// </summary>
[Trait("Category", "CardAuth")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CardAuthIntakeTests : IDisposable
{
    private const string SunUid = "04C1D2E3F40517";
    private static readonly byte[] Master = Convert.FromHexString("A0A1A2A3A4A5A6A7A8A9AAABACADAEAF");
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 10, 0, 0, TimeSpan.FromHours(9));

    private readonly string _dir = TestKit.TempDir();
    private readonly string _registryPath;
    private readonly string _keyFile;
    private readonly CityRegistry _registry;
    private readonly LiteDbIngestStore _store;
    private readonly IngestPipeline _pipeline;
    private readonly string _token;

    public CardAuthIntakeTests()
    {
        // The sample registry with one more card for P0001: an authenticated city card.
        JsonNode doc = JsonNode.Parse(File.ReadAllText(SharedFixtures.RegistryPath))!;
        doc["cards"]!.AsArray().Add(new JsonObject { ["uid"] = SunUid, ["tech"] = "iso14443a", ["pid"] = "P0001", ["auth"] = "ntag424-sun" });
        _registryPath = Path.Combine(_dir, "registry.json");
        File.WriteAllText(_registryPath, doc.ToJsonString());
        _keyFile = Path.Combine(_dir, "card.keys");
        File.WriteAllText(_keyFile, "0 " + Convert.ToHexString(Master) + "\n");
        File.SetUnixFileMode(_keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        _registry = RegistryLoader.Load(_registryPath);
        _token = _registry.TokenFor(CardTech.Iso14443A, SunUid);
        var time = new FakeTimeProvider(Now.AddMinutes(30));
        _store = new LiteDbIngestStore(Path.Combine(_dir, "store"));
        _pipeline = new IngestPipeline(_registry, _store, time, new IngestMetrics(time), NullLogger.Instance,
            cardReads: CardReadVerifier.Create(_registry, _keyFile));
    }

    [Fact]
    public void A_read_with_a_genuine_sun_message_is_applied()
    {
        Ack ack = Send(Board(1, Now, Sun(counter: 7)), Alight(2, Now.AddMinutes(10), Sun(counter: 8)));
        Assert.All(ack.Results, r => Assert.Equal(ResultStatus.Applied, r.Status));
        Assert.NotNull(ack.Results[1].Fare);
        Assert.DoesNotContain(_token, _pipeline.CurrentDenyList().Tokens);
    }

    [Fact]
    public void A_read_without_a_sun_message_is_refused_as_unauthenticated_and_quarantined_but_the_card_stays_usable()
    {
        Ack ack = Send(Board(1, Now, sun: null));
        Assert.Equal(ResultStatus.Rejected, ack.Results[0].Status);
        Assert.Contains("unauthenticated read", ack.Results[0].Reason);
        Assert.Equal(1, _store.QuarantineCount());
        Assert.DoesNotContain(_token, _pipeline.CurrentDenyList().Tokens);
    }

    [Fact]
    public void A_forged_mac_is_a_clone_signal_the_card_goes_on_the_deny_list_with_reason_clone()
    {
        DenyList before = _pipeline.CurrentDenyList();
        DenyList? published = null;
        _pipeline.DenyListChanged += d => published = d;
        JsonObject sun = Sun(counter: 9);
        string c = (string)sun["c"]!;
        sun["c"] = (c[0] == '0' ? "1" : "0") + c[1..];

        Ack ack = Send(Board(1, Now, sun));

        Assert.Equal(ResultStatus.Rejected, ack.Results[0].Status);
        Assert.Equal("card.sun: clone signal: bad MAC", ack.Results[0].Reason);
        Assert.NotNull(published);
        Assert.Contains(_token, published!.Tokens);
        Assert.True(published.Version > before.Version);
        Assert.Equal(CardRunStatus.Clone, _pipeline.CardStatusOf(_token)!.Status);
        Assert.Equal(1, _store.QuarantineCount());
    }

    [Fact]
    public void A_genuine_message_copied_from_another_card_is_a_clone_signal()
    {
        byte[] other = Convert.FromHexString("04000000000042");
        var sun = new JsonObject
        {
            ["e"] = Convert.ToHexString(SunCrypto.EncryptPiccData(SunKeys.MetaRead(Master), other, 3, [9, 9, 9, 9, 9])),
            ["c"] = Convert.ToHexString(SunCrypto.Mac(SunKeys.FileRead(Master, other), other, 3)),
        };
        Ack ack = Send(Board(1, Now, sun));
        Assert.Contains("another card", ack.Results[0].Reason);
        Assert.Contains(_token, _pipeline.CurrentDenyList().Tokens);
    }

    [Fact]
    public void A_sun_field_of_the_wrong_shape_is_refused_naming_the_field()
    {
        Ack ack = Send(Board(1, Now, new JsonObject { ["e"] = "ABCD", ["c"] = "0011223344556677" }));
        Assert.Equal(ResultStatus.Rejected, ack.Results[0].Status);
        Assert.StartsWith("events[0].card.sun.e: expected 32 hex digits", ack.Results[0].Reason);
        Assert.DoesNotContain(_token, _pipeline.CurrentDenyList().Tokens);
    }

    [Fact]
    public async Task The_ingest_will_not_run_authenticated_cards_without_owner_only_master_keys()
    {
        string data = Path.Combine(_dir, "d");
        (int exit, _, string err) = await EdgeCli.RunAsync(["ingest", "run", "--registry", _registryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0"]);
        Assert.Equal(2, exit);
        Assert.Contains("--card-keys", err);

        File.SetUnixFileMode(_keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        (int exit2, _, string err2) = await EdgeCli.RunAsync(["ingest", "run", "--registry", _registryPath, "--card-keys", _keyFile, "--data", data, "--mqtt-port", "0", "--http-port", "0"]);
        Assert.Equal(2, exit2);
        Assert.Contains(_keyFile, err2);
        Assert.Contains("0640", err2);
        Assert.DoesNotContain(Convert.ToHexString(Master), err2, StringComparison.OrdinalIgnoreCase);
    }

    private Ack Send(params JsonObject[] events)
    {
        byte[] payload = TestKit.Batch("BUS0042", events);
        BatchOutcome o = _pipeline.ProcessBatch(TestKit.Topic("BUS0042"), payload, TestKit.Mac("BUS0042", payload));
        Assert.False(o.IsRejected, o.RejectedReason);
        return o.Ack!;
    }

    /// <summary>What the genuine card mirrors on its read number <paramref name="counter"/>.</summary>
    private static JsonObject Sun(int counter) => new()
    {
        ["e"] = Convert.ToHexString(SunCrypto.EncryptPiccData(SunKeys.MetaRead(Master), Convert.FromHexString(SunUid), counter, [1, 2, 3, 4, 5])),
        ["c"] = Convert.ToHexString(SunCrypto.Mac(SunKeys.FileRead(Master, Convert.FromHexString(SunUid)), Convert.FromHexString(SunUid), counter)),
    };

    private JsonObject Board(ulong seq, DateTimeOffset at, JsonObject? sun) => Bus("board", seq, at, "S01", sun);

    private JsonObject Alight(ulong seq, DateTimeOffset at, JsonObject? sun) => Bus("alight", seq, at, "S07", sun);

    private JsonObject Bus(string type, ulong seq, DateTimeOffset at, string stop, JsonObject? sun)
    {
        var card = new JsonObject { ["tok"] = _token, ["tech"] = "iso14443a" };
        if (sun is not null)
        {
            card["sun"] = sun;
        }

        return new JsonObject
        {
            ["seq"] = seq,
            ["type"] = type,
            ["at"] = TestKit.At(at),
            ["card"] = card,
            ["ctx"] = new JsonObject { ["route"] = "R01", ["vehicle"] = "V0042", ["stop"] = stop },
            ["decision"] = "accept",
        };
    }

    public void Dispose() => _store.Dispose();
}
