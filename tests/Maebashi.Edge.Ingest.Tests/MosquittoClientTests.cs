using System.Text;
using System.Text.Json;
using Maebashi.Edge.Contract.Messages;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The embedded broker driven by the real Debian clients (mosquitto_pub / mosquitto_sub): login, ACL,
/// the mac user property, and quarantine of what cannot be trusted, with the service staying healthy.
/// </summary>
[Trait("Category", "Ingest")]
public sealed class MosquittoClientTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(20);

    private static string[] PubArgs(int port, string user, string password, string topic, string payload, string? mac) =>
    [
        "-V", "5", "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "-i", user + "-pub", "-u", user, "-P", password, "-q", "1", "-t", topic, "-m", payload,
        .. mac is null ? Array.Empty<string>() : ["-D", "publish", "user-property", "mac", mac],
    ];

    [Fact]
    public async Task A_wrong_password_is_refused()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        (int exit, string o, string e) = await ProcessRunner.RunAsync("mosquitto_pub", PubArgs(ingest.Host.MqttPort, "BUS0042", "not-the-password", Topics.Events("BUS0042"), "{}", null), ClientTimeout);
        Assert.NotEqual(0, exit);
        Assert.Contains("password", (o + e).ToLowerInvariant(), StringComparison.Ordinal);

        // The right password is let in (the refusal was the password, not the client).
        byte[] good = TestKit.Batch("BUS0042");
        (int okExit, _, string okErr) = await ProcessRunner.RunAsync("mosquitto_pub", PubArgs(ingest.Host.MqttPort, "BUS0042", TestKit.Password("BUS0042"), Topics.Events("BUS0042"), Encoding.UTF8.GetString(good), TestKit.Mac("BUS0042", good)), ClientTimeout);
        Assert.True(okExit == 0, okErr);
    }

    [Fact]
    public async Task A_good_batch_from_mosquitto_pub_is_applied_and_acknowledged_on_the_ack_topic()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        int port = ingest.Host.MqttPort;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] batch = TestKit.Batch("BUS0042",
            TestKit.Board(1, "04A1B2C3D4E5F6", now.AddMinutes(-20), "S01"),
            TestKit.Alight(2, "04A1B2C3D4E5F6", now.AddMinutes(-10), "S03"));

        // mosquitto_sub as the device on its own ack topic; wait for its SUBACK before publishing.
        // stdbuf: line-buffered output, so the SUBACK line arrives before the client exits.
        using ChildProcess sub = ChildProcess.Start("mosquitto_sub", "stdbuf",
            ["-oL", "mosquitto_sub", "-V", "5", "-d", "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "BUS0042-sub", "-u", "BUS0042", "-P", TestKit.Password("BUS0042"), "-q", "1", "-t", Topics.Ack("BUS0042"), "-C", "1", "-W", "20"]);
        await sub.WaitForLineAsync(l => l.Contains("SUBACK", StringComparison.Ordinal), ClientTimeout);

        (int exit, _, string err) = await ProcessRunner.RunAsync("mosquitto_pub", PubArgs(port, "BUS0042", TestKit.Password("BUS0042"), Topics.Events("BUS0042"), Encoding.UTF8.GetString(batch), TestKit.Mac("BUS0042", batch)), ClientTimeout);
        Assert.True(exit == 0, err);

        string ackLine = await sub.WaitForLineAsync(l => l.StartsWith('{'), ClientTimeout);
        await sub.WaitForExitAsync(ClientTimeout);
        Ack ack = ContractJson.ParseAck(Encoding.UTF8.GetBytes(ackLine));
        Assert.Equal(2UL, ack.UpTo);
        Assert.All(ack.Results, r => Assert.Equal(ResultStatus.Applied, r.Status));

        // R01 zone 1 → 2: 180 + 40 = 220 yen from the opening 1000.
        (int status, string body) = await ingest.Get($"/api/v1/cards/{TestKit.Tok("04A1B2C3D4E5F6")}/wallet", RunningIngest.TransportToken);
        Assert.Equal(200, status);
        Assert.Equal(780, TestKit.ParseJson(body).GetProperty("value").GetInt64());
    }

    public static TheoryData<string, string> BadBatches => new()
    {
        { "bad-mac", "mac" },
        { "foreign-topic", "not its own topic" },
        { "malformed-json", "not JSON" },
        { "at-an-hour-ahead", "more than 5 minutes ahead" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_batch_that_cannot_be_trusted_lands_in_quarantine_with_its_reason_and_changes_nothing(string kind, string reason)
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        const string uid = "04A1B2C3D4E5F6";
        byte[] good = TestKit.Batch("BUS0042", TestKit.Board(10, uid, now.AddMinutes(-30), "S01"), TestKit.Alight(11, uid, now.AddMinutes(-20), "S07"));
        (string topic, byte[] payload, string mac) = kind switch
        {
            "bad-mac" => (Topics.Events("BUS0042"), good, TestKit.Mac("BUS0042", Encoding.UTF8.GetBytes("another payload"))),
            "foreign-topic" => (Topics.Events("BUS0043"), TestKit.Batch("BUS0043", TestKit.Board(10, uid, now.AddMinutes(-30), "S01")), TestKit.Mac("BUS0042", good)),
            "malformed-json" => (Topics.Events("BUS0042"), Encoding.UTF8.GetBytes("{\"device\": \"BUS0042\", \"events\": [ {\"seq\": 1,"), ""),
            _ => (Topics.Events("BUS0042"), TestKit.Batch("BUS0042", TestKit.Board(12, uid, now.AddHours(1), "S01")), ""),
        };
        if (mac.Length == 0)
        {
            mac = TestKit.Mac("BUS0042", payload);
        }

        (int exit, string o, string e) = await ProcessRunner.RunAsync("mosquitto_pub",
            PubArgs(ingest.Host.MqttPort, "BUS0042", TestKit.Password("BUS0042"), topic, Encoding.UTF8.GetString(payload), mac), ClientTimeout);
        _ = (exit, o, e); // A refused batch may make mosquitto_pub report the PUBACK reason; the quarantine is what counts.

        (int qs, string qBody) = await ingest.Get("/api/v1/quarantine", RunningIngest.AdminToken);
        Assert.Equal(200, qs);
        JsonElement items = TestKit.ParseJson(qBody).GetProperty("items");
        Assert.Contains(items.EnumerateArray(), i => i.GetProperty("reason").GetString()!.Contains(reason, StringComparison.Ordinal));
        JsonElement item = items.EnumerateArray().First(i => i.GetProperty("reason").GetString()!.Contains(reason, StringComparison.Ordinal));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload)), item.GetProperty("sha256").GetString());
        Assert.Equal(payload.Length, item.GetProperty("size").GetInt64());
        Assert.Equal(0, item.GetProperty("repeats").GetInt64());
        (int ps, string kept) = await ingest.Get($"/api/v1/quarantine/{item.GetProperty("id").GetInt64()}/payload", RunningIngest.AdminToken);
        Assert.Equal(200, ps);
        Assert.Equal(Encoding.UTF8.GetString(payload), kept);

        // Nothing changed: the wallet still holds its opening value and no trip.
        (int ws, string wBody) = await ingest.Get($"/api/v1/cards/{TestKit.Tok(uid)}/wallet", RunningIngest.TransportToken);
        Assert.Equal(200, ws);
        JsonElement wallet = TestKit.ParseJson(wBody);
        Assert.Equal(1000, wallet.GetProperty("value").GetInt64());
        Assert.Equal(0, wallet.GetProperty("trips").GetArrayLength());

        // Sending the same bad batch again does not quarantine it twice: its record counts the repeat.
        await ProcessRunner.RunAsync("mosquitto_pub", PubArgs(ingest.Host.MqttPort, "BUS0042", TestKit.Password("BUS0042"), topic, Encoding.UTF8.GetString(payload), mac), ClientTimeout);
        (_, string again) = await ingest.Get("/api/v1/quarantine", RunningIngest.AdminToken);
        JsonElement againItems = TestKit.ParseJson(again).GetProperty("items");
        Assert.Equal(items.GetArrayLength(), againItems.GetArrayLength());
        Assert.Equal(1, againItems.EnumerateArray().Single(i => i.GetProperty("id").GetInt64() == item.GetProperty("id").GetInt64()).GetProperty("repeats").GetInt64());

        (int hs, string hBody) = await ingest.Get("/healthz", null);
        Assert.Equal(200, hs);
        Assert.Contains("ok", hBody, StringComparison.Ordinal);

        // And a good batch after it is still applied.
        await using DeviceClient device = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort);
        Ack ack = await device.SendAsync(good);
        Assert.True(ack.UpTo >= 11, $"upTo {ack.UpTo}");
        Assert.All(ack.Results, r => Assert.Equal(ResultStatus.Applied, r.Status));
    }
}
