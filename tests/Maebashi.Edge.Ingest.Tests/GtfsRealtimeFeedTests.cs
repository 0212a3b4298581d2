using System.Globalization;
using System.Net;
using System.Text.Json;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// <c>GET /gtfs-rt/vehicle-positions</c> (issue 16): the buses' positions from their retained <c>status</c>, published
/// through the real MQTT path, with their trip, stop and occupancy; read back by python3-protobuf.
/// </summary>
[Trait("Category", "Gtfs")]
public sealed class GtfsRealtimeFeedTests
{
    private const string Feed = "/gtfs-rt/vehicle-positions";

    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-01T09:00:00+09:00", CultureInfo.InvariantCulture);

    internal static async Task<RunningIngest> StartAsync(FakeTimeProvider time)
    {
        string dir = TestKit.TempDir();
        string registry = Path.Combine(dir, "registry.json");
        TransitRegistry.Write(SharedFixtures.RegistryPath, registry);
        return await RunningIngest.StartAsync(time, data: dir, registry: registry);
    }

    /// <summary>The bus's terminal publishes its retained status with a position (docs/contract.md §5.5).</summary>
    internal static async Task PublishPositionAsync(RunningIngest ingest, string device, VehiclePosition? position, string state = "online")
    {
        using IMqttClient c = new MqttClientFactory().CreateMqttClient();
        await c.ConnectAsync(new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", ingest.Host.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(device + "-status-" + Guid.NewGuid().ToString("N")[..6])
            .WithCredentials(device, TestKit.Password(device))
            .Build());
        var status = new DeviceStatus { Device = device, State = state, Firmware = "1.5.0", At = position?.At, Position = position };
        MqttClientPublishResult pub = await c.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic(Topics.Status(device))
            .WithPayload(ContractJson.Serialize(status))
            .WithRetainFlag()
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .Build());
        // The embedded broker hands the status to the ingest before it acknowledges the publish.
        Assert.True(pub.IsSuccess, pub.ReasonCode.ToString());
        await c.DisconnectAsync();
    }

    internal static VehiclePosition At(string stop, DateTimeOffset at, string status = VehicleStopStatuses.StoppedAt, int direction = 0, string route = "R01") => new()
    {
        Lat = TransitRegistry.Coordinates[stop].Lat,
        Lon = TransitRegistry.Coordinates[stop].Lon,
        At = at,
        Bearing = 292.5,
        Speed = 8.25,
        Route = route,
        Direction = direction,
        Stop = stop,
        StopStatus = status,
    };

    private static async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(RunningIngest ingest, string path)
    {
        // No redirect followed: the feed must answer itself, never send a reader to the console's sign-in.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = ingest.Http.BaseAddress };
        HttpResponseMessage r = await http.GetAsync(path);
        return (r, await r.Content.ReadAsByteArrayAsync());
    }

    private static async Task<(HttpResponseMessage Response, JsonElement Decoded)> GetDecodedAsync(RunningIngest ingest)
    {
        (HttpResponseMessage r, byte[] body) = await GetAsync(ingest, Feed);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/x-protobuf", r.Content.Headers.ContentType?.MediaType);
        return (r, await GtfsRealtimeDecoder.DecodeAsync(body));
    }

    private static JsonElement[] Entities(JsonElement decoded) =>
        decoded.GetProperty("feed").TryGetProperty("entity", out JsonElement e) ? [.. e.EnumerateArray()] : [];

    internal static async Task BoardAsync(RunningIngest ingest, ulong seq, int riders, DateTimeOffset at)
    {
        string[] uids = ["04A1B2C3D4E5F6", "DEADBEEF", "1A2B3C4D", "04C0FFEE123456", "CAFEBABE", "0F0E0D0C", "04BADA55C0FFEE"];
        await using DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort);
        Ack ack = await bus.SendAsync(TestKit.Batch("BUS0042", [.. uids.Take(riders).Select((uid, i) => TestKit.Board(seq + (ulong)i, uid, at, "S01"))]));
        Assert.All(ack.Results, r => Assert.Equal(ResultStatus.Applied, r.Status));
    }

    [Fact]
    public async Task Python_protobuf_reads_each_moving_bus_with_its_trip_position_stop_and_occupancy_without_a_token()
    {
        FakeTimeProvider time = new(Now);
        await using RunningIngest ingest = await StartAsync(time);
        await BoardAsync(ingest, 1, riders: 6, Now.AddMinutes(-6));
        await PublishPositionAsync(ingest, "BUS0042", At("S03", Now.AddSeconds(-4)));
        await PublishPositionAsync(ingest, "BUS0043", At("S05", Now.AddSeconds(-8), VehicleStopStatuses.InTransitTo, direction: 1));

        (_, JsonElement decoded) = await GetDecodedAsync(ingest);

        JsonElement header = decoded.GetProperty("feed").GetProperty("header");
        Assert.Equal("2.0", header.GetProperty("gtfs_realtime_version").GetString());
        Assert.True(decoded.GetProperty("incrementalitySet").GetBoolean());
        Assert.Equal("FULL_DATASET", header.GetProperty("incrementality").GetString());
        Assert.Equal(Now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), header.GetProperty("timestamp").GetString());

        JsonElement[] entities = Entities(decoded);
        Assert.Equal(["V0042", "V0043"], entities.Select(e => e.GetProperty("id").GetString()));

        JsonElement v42 = entities[0].GetProperty("vehicle");
        Assert.Equal("V0042", v42.GetProperty("vehicle").GetProperty("id").GetString());
        Assert.Equal(TransitRegistry.V0042Label, v42.GetProperty("vehicle").GetProperty("label").GetString());
        JsonElement trip = v42.GetProperty("trip");
        Assert.Equal("R01", trip.GetProperty("route_id").GetString());
        Assert.Equal(0, trip.GetProperty("direction_id").GetInt32());
        // No timetable: the trip is the route in a direction, not a scheduled trip.
        Assert.False(trip.TryGetProperty("trip_id", out _));
        Assert.False(trip.TryGetProperty("schedule_relationship", out _));
        JsonElement position = v42.GetProperty("position");
        Assert.Equal(TransitRegistry.Coordinates["S03"].Lat, position.GetProperty("latitude").GetDouble(), 4);
        Assert.Equal(TransitRegistry.Coordinates["S03"].Lon, position.GetProperty("longitude").GetDouble(), 4);
        Assert.Equal(292.5, position.GetProperty("bearing").GetDouble(), 3);
        Assert.Equal(8.25, position.GetProperty("speed").GetDouble(), 3);
        Assert.Equal("S03", v42.GetProperty("stop_id").GetString());
        Assert.Equal("STOPPED_AT", v42.GetProperty("current_status").GetString());
        Assert.Equal(Now.AddSeconds(-4).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), v42.GetProperty("timestamp").GetString());
        // 6 aboard of 20: 30%, past the 25% of "many seats".
        Assert.Equal("FEW_SEATS_AVAILABLE", v42.GetProperty("occupancy_status").GetString());

        JsonElement v43 = entities[1].GetProperty("vehicle");
        Assert.Equal(1, v43.GetProperty("trip").GetProperty("direction_id").GetInt32());
        Assert.Equal("S05", v43.GetProperty("stop_id").GetString());
        Assert.Equal("IN_TRANSIT_TO", v43.GetProperty("current_status").GetString());
        // The registry gives V0043 no capacity: no occupancy is claimed.
        Assert.False(v43.TryGetProperty("occupancy_status", out _));
        Assert.False(v43.GetProperty("vehicle").TryGetProperty("label", out _));
    }

    [Fact]
    public async Task Only_buses_with_a_position_of_the_last_2_minutes_are_in_the_feed()
    {
        FakeTimeProvider time = new(Now);
        await using RunningIngest ingest = await StartAsync(time);
        await PublishPositionAsync(ingest, "BUS0042", At("S02", Now.AddSeconds(-30)));
        await PublishPositionAsync(ingest, "BUS0043", At("M02", Now.AddSeconds(-121), route: "R02"));
        Assert.Equal(["V0042"], Entities((await GetDecodedAsync(ingest)).Decoded).Select(e => e.GetProperty("id").GetString()));

        // 91 s later V0042's position is 2 min 1 s old too; parked buses publish none, so the feed is empty.
        time.Advance(TimeSpan.FromSeconds(91));
        Assert.Empty(Entities((await GetDecodedAsync(ingest)).Decoded));

        // A terminal that reports itself offline is not shown, however fresh its last position.
        await PublishPositionAsync(ingest, "BUS0042", At("S04", time.GetUtcNow()), state: "offline");
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(Entities((await GetDecodedAsync(ingest)).Decoded));
    }

    [Fact]
    public async Task The_feed_is_built_at_most_once_per_10_seconds_and_readers_may_keep_it_no_longer()
    {
        FakeTimeProvider time = new(Now);
        await using RunningIngest ingest = await StartAsync(time);
        await PublishPositionAsync(ingest, "BUS0042", At("S02", Now));

        (HttpResponseMessage first, JsonElement before) = await GetDecodedAsync(ingest);
        Assert.Equal("public, max-age=10", first.Headers.CacheControl?.ToString());
        Assert.Equal("S02", Entities(before)[0].GetProperty("vehicle").GetProperty("stop_id").GetString());

        // The bus moves on; for 10 s readers get the feed as built, with what is left of the 10 s to keep it.
        await PublishPositionAsync(ingest, "BUS0042", At("S03", Now.AddSeconds(4)));
        time.Advance(TimeSpan.FromSeconds(4));
        (HttpResponseMessage cached, JsonElement same) = await GetDecodedAsync(ingest);
        Assert.Equal("public, max-age=6", cached.Headers.CacheControl?.ToString());
        Assert.Equal("S02", Entities(same)[0].GetProperty("vehicle").GetProperty("stop_id").GetString());

        time.Advance(TimeSpan.FromSeconds(6));
        (HttpResponseMessage rebuilt, JsonElement after) = await GetDecodedAsync(ingest);
        Assert.Equal("public, max-age=10", rebuilt.Headers.CacheControl?.ToString());
        Assert.Equal("S03", Entities(after)[0].GetProperty("vehicle").GetProperty("stop_id").GetString());
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), after.GetProperty("feed").GetProperty("header").GetProperty("timestamp").GetString());
    }

    [Fact]
    public async Task Format_json_is_the_proto3_json_mapping_and_another_format_is_refused()
    {
        FakeTimeProvider time = new(Now);
        await using RunningIngest ingest = await StartAsync(time);
        await BoardAsync(ingest, 1, riders: 7, Now.AddMinutes(-3));
        await PublishPositionAsync(ingest, "BUS0042", At("S06", Now, VehicleStopStatuses.IncomingAt));

        (HttpResponseMessage r, byte[] body) = await GetAsync(ingest, Feed + "?format=json");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("public, max-age=", r.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        JsonElement json = TestKit.ParseJson(System.Text.Encoding.UTF8.GetString(body));
        // lowerCamelCase names, enums by name, 64-bit integers as strings: proto3's JSON mapping.
        Assert.Equal("2.0", json.GetProperty("header").GetProperty("gtfsRealtimeVersion").GetString());
        Assert.Equal("FULL_DATASET", json.GetProperty("header").GetProperty("incrementality").GetString());
        Assert.Equal(JsonValueKind.String, json.GetProperty("header").GetProperty("timestamp").ValueKind);
        JsonElement v = Assert.Single(json.GetProperty("entity").EnumerateArray()).GetProperty("vehicle");
        Assert.Equal("R01", v.GetProperty("trip").GetProperty("routeId").GetString());
        Assert.Equal("S06", v.GetProperty("stopId").GetString());
        Assert.Equal("INCOMING_AT", v.GetProperty("currentStatus").GetString());
        // 7 of 20: 35%, below the 40% of "few seats".
        Assert.Equal("FEW_SEATS_AVAILABLE", v.GetProperty("occupancyStatus").GetString());

        // A reader that sends a token the ingest does not know is not refused: the feed asks for none.
        (int withJunkToken, _) = await ingest.Get(Feed, "not-a-token-of-this-ingest");
        Assert.Equal(200, withJunkToken);

        (HttpResponseMessage bad, byte[] problem) = await GetAsync(ingest, Feed + "?format=xml");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("format", TestKit.ParseJson(System.Text.Encoding.UTF8.GetString(problem)).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_feed_holds_no_card_token_pid_uid_or_sector_id_and_ignores_a_route_or_stop_the_registry_lacks()
    {
        FakeTimeProvider time = new(Now);
        await using RunningIngest ingest = await StartAsync(time);
        await BoardAsync(ingest, 1, riders: 7, Now.AddMinutes(-3));
        VehiclePosition strange = At("S03", Now);
        strange.Route = "R99";
        await PublishPositionAsync(ingest, "BUS0042", strange);
        VehiclePosition offRoute = At("S03", Now, route: "R02");
        await PublishPositionAsync(ingest, "BUS0043", offRoute);

        (_, byte[] protobuf) = await GetAsync(ingest, Feed);
        (_, byte[] json) = await GetAsync(ingest, Feed + "?format=json");
        string text = System.Text.Encoding.UTF8.GetString(json);
        string binary = System.Text.Encoding.Latin1.GetString(protobuf);
        CityRegistry registry = TestKit.Registry;
        string[] personal =
        [
            .. TestKit.Pids, .. TestKit.Uids, .. registry.Cards.Select(c => c.Token),
            .. TestKit.SectorIds(Maebashi.Edge.Contract.Identity.SectorId.Transport),
        ];
        Assert.All(personal, p =>
        {
            Assert.DoesNotContain(p, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(p, binary, StringComparison.OrdinalIgnoreCase);
        });

        JsonElement[] entities = [.. TestKit.ParseJson(text).GetProperty("entity").EnumerateArray()];
        // An unknown route gives no trip (and so no stop); a stop not on the route gives no stop: only registry ids go out.
        JsonElement v42 = entities.Single(e => e.GetProperty("id").GetString() == "V0042").GetProperty("vehicle");
        Assert.False(v42.TryGetProperty("trip", out _));
        Assert.False(v42.TryGetProperty("stopId", out _));
        JsonElement v43 = entities.Single(e => e.GetProperty("id").GetString() == "V0043").GetProperty("vehicle");
        Assert.Equal("R02", v43.GetProperty("trip").GetProperty("routeId").GetString());
        Assert.False(v43.TryGetProperty("stopId", out _));
        Assert.True(v42.TryGetProperty("position", out _));
    }
}
