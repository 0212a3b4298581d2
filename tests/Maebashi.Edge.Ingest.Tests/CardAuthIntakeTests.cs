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

        Ack next = Send(Board(2, Now.AddMinutes(20), Sun(counter: 30)));
        Assert.Equal(ResultStatus.Applied, next.Results[0].Status);
    }

    [Fact]
    public void A_second_unauthenticated_read_within_24_hours_is_a_clone_signal()
    {
        Send(Board(1, Now.AddHours(-20), sun: null));
        Ack ack = Send(Board(2, Now, sun: null));
        Assert.StartsWith("card.sun: clone signal: a second read without a SUN message within 24 h", ack.Results[0].Reason);
        Assert.Contains(_token, _pipeline.CurrentDenyList().Tokens);
        Assert.Equal(CardRunStatus.Clone, _pipeline.CardStatusOf(_token)!.Status);
    }

    [Fact]
    public void A_replayed_sun_message_is_a_clone_signal_and_the_later_read_is_refused()
    {
        JsonObject captured = Sun(counter: 40);
        Assert.Equal(ResultStatus.Applied, Send(Board(1, Now, captured)).Results[0].Status);
        Ack replay = Send(Board(2, Now.AddMinutes(30), (JsonObject)captured.DeepClone()));
        Assert.Equal("card.sun: clone signal: SUN counter 40 is not above 40, read more than 5 min earlier", replay.Results[0].Reason);
        Assert.Contains(_token, _pipeline.CurrentDenyList().Tokens);
    }

    [Fact]
    public void A_replay_within_the_repeat_window_at_the_same_door_is_a_clone_signal_and_a_genuine_repeat_is_not()
    {
        // The genuine card, then at once its second read: a repeat, not charged, and no signal.
        Ack genuine = Send(Board(1, Now, Sun(counter: 60)), Board(2, Now.AddSeconds(4), Sun(counter: 61)));
        Assert.Equal(ResultStatus.Applied, genuine.Results[0].Status);
        Assert.Equal(ResultStatus.Duplicate, genuine.Results[1].Status);
        Assert.DoesNotContain(_token, _pipeline.CurrentDenyList().Tokens);

        // A copy that skimmed the first message taps at the same door 5 s later: still a repeat for the fare, but it
        // replays a counter the card already showed.
        JsonObject captured = Sun(counter: 70);
        Send(Board(3, Now.AddMinutes(20), captured));
        Ack copy = Send(Board(4, Now.AddMinutes(20).AddSeconds(5), (JsonObject)captured.DeepClone()));
        Assert.Equal("card.sun: clone signal: SUN counter 70 was already read (a replayed message)", copy.Results[0].Reason);
        Assert.Contains(_token, _pipeline.CurrentDenyList().Tokens);
        Assert.Equal(CardRunStatus.Clone, _pipeline.CardStatusOf(_token)!.Status);
    }

    [Fact]
    public void Reads_within_the_clock_tolerance_may_carry_their_counters_out_of_order()
    {
        // Two devices whose clocks disagree by two minutes: the read made later shows the earlier time.
        Ack ack = Send(Board(1, Now, Sun(counter: 12)), Alight(2, Now.AddMinutes(-2), Sun(counter: 13)));
        Assert.All(ack.Results, r => Assert.NotEqual(ResultStatus.Rejected, r.Status));
        Assert.DoesNotContain(_token, _pipeline.CurrentDenyList().Tokens);
    }

    [Fact]
    public void A_replay_days_later_is_caught_against_the_days_before()
    {
        Assert.Equal(ResultStatus.Applied, Send(Board(1, Now.AddDays(-3), Sun(counter: 50))).Results[0].Status);
        Ack ack = Send(Board(2, Now, Sun(counter: 41)));
        Assert.Equal("card.sun: clone signal: SUN counter 41 is not above 50, read more than 5 min earlier", ack.Results[0].Reason);
    }

    [Fact]
    public void A_late_genuine_read_withdraws_an_applied_clone_read_and_the_outcome_does_not_depend_on_arrival_order()
    {
        // The copy rode at 10:00 with a counter it had skimmed long before; the genuine card was read at 09:00 with a
        // higher counter, but that bus was offline and its tap arrives later.
        JsonObject copy = Board(1, Now, Sun(counter: 5));
        JsonObject genuine = Bus("board", 1, Now.AddHours(-1), "S03", Sun(counter: 20), vehicle: "V0043");

        Ack first = Send(copy);
        Assert.Equal(ResultStatus.Applied, first.Results[0].Status);
        Assert.DoesNotContain(_token, _pipeline.CurrentDenyList().Tokens);
        Ack late = Send("BUS0043", genuine);
        Assert.Equal(ResultStatus.Applied, late.Results[0].Status);
        Assert.Contains(_token, _pipeline.CurrentDenyList().Tokens);
        string wallet = Wallet(_pipeline, _store);

        // The other order, on a fresh ingest: the same wallet.
        using var store = new LiteDbIngestStore(Path.Combine(_dir, "store-2"));
        var time = new FakeTimeProvider(Now.AddMinutes(30));
        var other = new IngestPipeline(_registry, store, time, new IngestMetrics(time), NullLogger.Instance, cardReads: CardReadVerifier.Create(_registry, _keyFile));
        Send(other, "BUS0043", (JsonObject)genuine.DeepClone());
        Ack refused = Send(other, "BUS0042", (JsonObject)copy.DeepClone());
        Assert.StartsWith("card.sun: clone signal: SUN counter 5 is not above 20", refused.Results[0].Reason);
        Assert.Equal(wallet, Wallet(other, store));
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

    private Ack Send(params JsonObject[] events) => Send(_pipeline, "BUS0042", events);

    private Ack Send(string device, params JsonObject[] events) => Send(_pipeline, device, events);

    private static Ack Send(IngestPipeline pipeline, string device, params JsonObject[] events)
    {
        byte[] payload = TestKit.Batch(device, events);
        BatchOutcome o = pipeline.ProcessBatch(TestKit.Topic(device), payload, TestKit.Mac(device, payload));
        Assert.False(o.IsRejected, o.RejectedReason);
        return o.Ack!;
    }

    private static string Wallet(IngestPipeline pipeline, IIngestStore store)
    {
        PersonState s = pipeline.WalletOf("P0001");
        return $"value={s.Value} points={s.Points} trips={System.Text.Json.JsonSerializer.Serialize(store.AllTrips("P0001"))}";
    }

    /// <summary>What the genuine card mirrors on its read number <paramref name="counter"/>.</summary>
    private static JsonObject Sun(int counter) => new()
    {
        ["e"] = Convert.ToHexString(SunCrypto.EncryptPiccData(SunKeys.MetaRead(Master), Convert.FromHexString(SunUid), counter, [1, 2, 3, 4, 5])),
        ["c"] = Convert.ToHexString(SunCrypto.Mac(SunKeys.FileRead(Master, Convert.FromHexString(SunUid)), Convert.FromHexString(SunUid), counter)),
    };

    private JsonObject Board(ulong seq, DateTimeOffset at, JsonObject? sun) => Bus("board", seq, at, "S01", sun);

    private JsonObject Alight(ulong seq, DateTimeOffset at, JsonObject? sun) => Bus("alight", seq, at, "S07", sun);

    private JsonObject Bus(string type, ulong seq, DateTimeOffset at, string stop, JsonObject? sun, string vehicle = "V0042")
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
            ["ctx"] = new JsonObject { ["route"] = "R01", ["vehicle"] = vehicle, ["stop"] = stop },
            ["decision"] = "accept",
        };
    }

    public void Dispose() => _store.Dispose();
}
