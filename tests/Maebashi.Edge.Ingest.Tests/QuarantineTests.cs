using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The bounded quarantine (issue 14, item 5): keyset pages of both kinds by <c>before</c>/<c>next</c>, filters, the
/// payload on its own, repeats, the per-device and total limits past which refusals are only counted (and the metric
/// shows them), the retention purge, and a payload cut at its limit keeping the whole one's hash and size.
/// </summary>
[Trait("Category", "ScaleOut")]
public sealed partial class QuarantineTests
{
    private const string BadMacReason = "mac: does not match the payload (HMAC-SHA256 with the device key)";
    private const string UnknownToken = "AAAAAAAAAAAAAAAAAAAAAA";

    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TestKit.Jst);

    /// <summary>A batch whose mac is another payload's: refused whole, one <c>batch</c> record (code BadMac).</summary>
    private static byte[] BadMac(RunningIngest ingest, string device, int n, int padTo = 0)
    {
        byte[] payload = Padded(device, n, padTo);
        BatchOutcome o = ingest.Host.Pipeline.ProcessBatch(TestKit.Topic(device), payload, TestKit.Mac(device, "another payload"u8.ToArray()));
        Assert.True(o.IsRejected);
        return payload;
    }

    /// <summary>A distinct batch of <paramref name="padTo"/> bytes or a little more (a filler property the reader ignores).</summary>
    private static byte[] Padded(string device, int n, int padTo)
    {
        JsonObject batch = JsonNode.Parse(TestKit.Batch(device, TestKit.Board((ulong)n + 1, "04A1B2C3D4E5F6", T0, "S01")))!.AsObject();
        batch["n"] = n;
        int length = Encoding.UTF8.GetByteCount(batch.ToJsonString());
        batch["pad"] = new string('x', Math.Max(0, padTo - length));
        return Encoding.UTF8.GetBytes(batch.ToJsonString());
    }

    /// <summary>A batch of events of an unknown card: each event rejected, one <c>event</c> record each (code UnknownCard).</summary>
    private static void UnknownCards(RunningIngest ingest, string device, params ulong[] seqs)
    {
        JsonObject[] events = [.. seqs.Select(seq =>
        {
            JsonObject e = TestKit.Board(seq, "04A1B2C3D4E5F6", T0.AddSeconds(seq), "S01");
            e["card"]!["tok"] = UnknownToken;
            return e;
        })];
        byte[] payload = TestKit.Batch(device, events);
        BatchOutcome o = ingest.Host.Pipeline.ProcessBatch(TestKit.Topic(device), payload, TestKit.Mac(device, payload));
        Assert.All(o.Ack!.Results, r => Assert.Equal(ResultStatus.Rejected, r.Status));
    }

    private static async Task<JsonElement> Page(RunningIngest ingest, string query)
    {
        (int status, string body) = await ingest.Get("/api/v1/quarantine" + query, RunningIngest.AdminToken);
        Assert.True(status == 200, body);
        return TestKit.ParseJson(body);
    }

    /// <summary>Every record of a filter, walking the pages by <c>next</c>, and how many pages it took.</summary>
    private static async Task<(List<JsonElement> Items, int Pages)> Walk(RunningIngest ingest, string filter, int limit)
    {
        var all = new List<JsonElement>();
        string query = $"?limit={limit}{filter}";
        for (int pages = 1; ; pages++)
        {
            JsonElement page = await Page(ingest, query);
            JsonElement[] items = [.. page.GetProperty("items").EnumerateArray()];
            Assert.True(items.Length <= limit);
            all.AddRange(items);
            JsonElement next = page.GetProperty("next");
            if (next.ValueKind == JsonValueKind.Null)
            {
                return (all, pages);
            }

            Assert.Equal(limit, items.Length); // only the last page is short
            Assert.Equal(items[^1].GetProperty("id").GetInt64(), next.GetInt64());
            query = $"?limit={limit}{filter}&before={next.GetInt64()}";
        }
    }

    private static long Id(JsonElement item) => item.GetProperty("id").GetInt64();

    [Fact]
    public async Task Pages_hold_both_kinds_newest_first_and_next_leads_through_every_record_once()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(T0));
        var expected = new List<(string Kind, ulong? Seq)>();
        for (int i = 0; i < 5; i++)
        {
            BadMac(ingest, "BUS0042", i);
            expected.Add(("batch", null));
            ulong a = (ulong)(10 * i) + 1, b = a + 1;
            UnknownCards(ingest, "BUS0042", a, b);
            expected.Add(("event", a));
            expected.Add(("event", b));
        }

        expected.Reverse();
        (List<JsonElement> items, int pages) = await Walk(ingest, "", limit: 4);
        Assert.Equal(4, pages); // 4 + 4 + 4 + 3
        Assert.Equal(expected, items.Select(i => (i.GetProperty("kind").GetString()!, i.GetProperty("seq").ValueKind == JsonValueKind.Null ? (ulong?)null : i.GetProperty("seq").GetUInt64())));
        Assert.Equal(items.Select(Id).OrderDescending(), items.Select(Id));
        Assert.Equal(items.Count, items.Select(Id).Distinct().Count());

        // Exactly the fields of the contract, and no payload in a page.
        JsonElement first = items[0];
        Assert.Equal(["at", "code", "device", "id", "kind", "reason", "repeats", "seq", "sha256", "size"], first.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("UnknownCard", first.GetProperty("code").GetString());
        Assert.Equal("card.tok: unknown card token", first.GetProperty("reason").GetString());
        Assert.Equal(BadMacReason, items[2].GetProperty("reason").GetString());
        Assert.Equal("BUS0042", items[2].GetProperty("device").GetString());
        Assert.Equal(T0, items[2].GetProperty("at").GetDateTimeOffset());
    }

    [Fact]
    public async Task Filters_by_device_code_or_both_page_through_exactly_their_records()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(T0));
        for (int i = 0; i < 4; i++)
        {
            BadMac(ingest, "BUS0042", i);
            UnknownCards(ingest, "BUS0043", (ulong)(3 * i) + 1, (ulong)(3 * i) + 2);
            BadMac(ingest, "BUS0043", 100 + i);
            UnknownCards(ingest, "BUS0042", (ulong)i + 1);
        }

        (List<JsonElement> all, _) = await Walk(ingest, "", limit: 1000);
        Assert.Equal(20, all.Count);
        foreach ((string filter, Func<JsonElement, bool> keep) in new (string, Func<JsonElement, bool>)[]
        {
            ("&device=BUS0042", i => i.GetProperty("device").GetString() == "BUS0042"),
            ("&code=UnknownCard", i => i.GetProperty("code").GetString() == "UnknownCard"),
            ("&device=BUS0043&code=BadMac", i => i.GetProperty("device").GetString() == "BUS0043" && i.GetProperty("code").GetString() == "BadMac"),
        })
        {
            (List<JsonElement> filtered, _) = await Walk(ingest, filter, limit: 3);
            Assert.Equal(all.Where(keep).Select(Id), filtered.Select(Id));
            Assert.NotEmpty(filtered);
        }

        Assert.Empty((await Page(ingest, "?device=BUS0044")).GetProperty("items").EnumerateArray());
        Assert.Empty((await Page(ingest, "?code=Nothing")).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_page_holds_100_records_by_default_and_limit_before_device_and_code_out_of_bounds_are_refused_naming_them()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(T0));
        UnknownCards(ingest, "BUS0042", [.. Enumerable.Range(1, 105).Select(i => (ulong)i)]);

        JsonElement first = await Page(ingest, "");
        Assert.Equal(100, first.GetProperty("items").GetArrayLength());
        JsonElement rest = await Page(ingest, "?before=" + first.GetProperty("next").GetInt64());
        Assert.Equal(5, rest.GetProperty("items").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next").ValueKind);
        Assert.Equal(105, (await Page(ingest, "?limit=1000")).GetProperty("items").GetArrayLength());
        Assert.Single((await Page(ingest, "?limit=1")).GetProperty("items").EnumerateArray());

        string tooLong = new('D', 101);
        foreach ((string query, string named) in new[]
        {
            ("?limit=0", "limit: "), ("?limit=1001", "limit: "), ("?limit=-1", "limit: "), ("?limit=ten", "limit: "),
            ("?before=0", "before: "), ("?before=x", "before: "), ("?before=-5", "before: "),
            ("?device=" + tooLong, "device: "), ("?code=" + tooLong, "code: "),
        })
        {
            using var req = new HttpRequestMessage(HttpMethod.Get, "/api/v1/quarantine" + query);
            req.Headers.Authorization = new("Bearer", RunningIngest.AdminToken);
            using HttpResponseMessage r = await ingest.Http.SendAsync(req);
            Assert.Equal(400, (int)r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
            Assert.StartsWith(named, TestKit.ParseJson(await r.Content.ReadAsStringAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_payload_is_fetched_on_its_own_by_admins_only_and_an_unknown_id_is_404()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(T0));
        byte[] payload = BadMac(ingest, "BUS0042", 1);
        long id = Id((await Page(ingest, "")).GetProperty("items")[0]);

        using var http = new HttpClient { BaseAddress = ingest.Http.BaseAddress };
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/quarantine/{id}/payload");
        req.Headers.Authorization = new("Bearer", RunningIngest.AdminToken);
        using HttpResponseMessage r = await http.SendAsync(req);
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal("application/octet-stream", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal($"quarantine-{id}.bin", r.Content.Headers.ContentDisposition?.FileName);
        Assert.Equal(payload, await r.Content.ReadAsByteArrayAsync());
        string[] audit = await ingest.AuditLinesAsync();
        Assert.Contains(audit, l => l.Contains("\"route\":\"/api/v1/quarantine/{id}/payload\",\"status\":200,\"subjects\":[\"" + id + "\"]", StringComparison.Ordinal));

        foreach (string unknown in new[] { (id + 1).ToString(CultureInfo.InvariantCulture), "0", "abc" })
        {
            using var missing = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/quarantine/{unknown}/payload");
            missing.Headers.Authorization = new("Bearer", RunningIngest.AdminToken);
            using HttpResponseMessage m = await http.SendAsync(missing);
            Assert.Equal(404, (int)m.StatusCode);
            Assert.Equal("application/problem+json", m.Content.Headers.ContentType?.MediaType);
            Assert.Equal("unknown quarantine record", TestKit.ParseJson(await m.Content.ReadAsStringAsync()).GetProperty("detail").GetString());
        }

        Assert.Equal(403, (await ingest.Get($"/api/v1/quarantine/{id}/payload", RunningIngest.TransportToken)).Status);
        Assert.Equal(401, (await ingest.Get($"/api/v1/quarantine/{id}/payload", null)).Status);
    }

    [Fact]
    public async Task The_same_payload_and_code_from_the_same_device_counts_as_a_repeat_of_its_record()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(T0));
        byte[] payload = BadMac(ingest, "BUS0042", 1);
        BadMac(ingest, "BUS0042", 1);
        BadMac(ingest, "BUS0042", 1);
        // The same bytes under another code (a foreign publish by another device) are a record of their own.
        ingest.Host.Pipeline.QuarantineForeignPublish("BUS0043", TestKit.Topic("BUS0042"), payload);
        // The same rejected event twice: its record counts the repeat too.
        UnknownCards(ingest, "BUS0042", 7);
        UnknownCards(ingest, "BUS0042", 7);

        JsonElement[] items = [.. (await Page(ingest, "")).GetProperty("items").EnumerateArray()];
        Assert.Equal(3, items.Length);
        Assert.Equal(("event", 1L), (items[0].GetProperty("kind").GetString(), items[0].GetProperty("repeats").GetInt64()));
        Assert.Equal(("ForeignTopic", "BUS0043", 0L), (items[1].GetProperty("code").GetString(), items[1].GetProperty("device").GetString(), items[1].GetProperty("repeats").GetInt64()));
        Assert.Equal(("BadMac", "BUS0042", 2L), (items[2].GetProperty("code").GetString(), items[2].GetProperty("device").GetString(), items[2].GetProperty("repeats").GetInt64()));
        Assert.Equal(items[1].GetProperty("sha256").GetString(), items[2].GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task A_payload_over_the_limit_is_kept_cut_while_its_record_keeps_the_whole_payloads_hash_and_size()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(T0), configure: o => o.QuarantinePayloadBytes = 1024);
        byte[] payload = BadMac(ingest, "BUS0042", 1, padTo: 10_000);
        Assert.True(payload.Length >= 10_000);

        JsonElement item = (await Page(ingest, "")).GetProperty("items")[0];
        Assert.Equal(payload.Length, item.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(payload)), item.GetProperty("sha256").GetString());
        byte[] kept = ingest.Host.Pipeline.Store.QuarantinePayload(Id(item))!;
        Assert.Equal(payload[..1024], kept);
    }

    /// <summary>What one BadMac record of <see cref="BadMac"/> with a cut payload counts against the limits.</summary>
    private static long RecordBytes(string device, int payloadBytes) =>
        new QuarantineEntry(QuarantineKind.Batch, device, TestKit.Topic(device), "BadMac", BadMacReason, null, T0, "", 0, new byte[payloadBytes]).Bytes;

    [GeneratedRegex("""^maebashi_ingest_quarantine_dropped_total\{(?<labels>[^}]*)\} (?<n>\d+)""", RegexOptions.Multiline)]
    private static partial Regex DroppedSeries();

    /// <summary>The dropped counter's series at <c>/metrics</c>, as <c>device/code=count</c>, in order.</summary>
    private static async Task<string[]> Dropped(RunningIngest ingest)
    {
        (int status, string text) = await ingest.Get("/metrics", null);
        Assert.Equal(200, status);
        return
        [
            .. DroppedSeries().Matches(text)
                .Select(m => Regex.Match(m.Groups["labels"].Value, "device=\"([^\"]*)\"").Groups[1].Value + "/" + Regex.Match(m.Groups["labels"].Value, "code=\"([^\"]*)\"").Groups[1].Value + "=" + m.Groups["n"].Value)
                .Order(StringComparer.Ordinal),
        ];
    }

    [Fact]
    public async Task Past_its_device_limit_a_devices_refusals_are_only_counted_and_the_metric_shows_the_count_across_a_restart()
    {
        const int kept = 1000;
        long record = RecordBytes("BUS0042", kept);
        // Room for 6 records of one device; the total is far away.
        void Limits(IngestOptions o)
        {
            o.QuarantinePayloadBytes = kept;
            o.QuarantineDeviceBytes = (6 * record) + (record / 2);
        }

        string data;
        await using (RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(T0), configure: Limits))
        {
            data = ingest.Data;
            byte[] firstPayload = BadMac(ingest, "BUS0042", 0, padTo: 5000);
            for (int i = 1; i < 10; i++)
            {
                BadMac(ingest, "BUS0042", i, padTo: 5000);
            }

            UnknownCards(ingest, "BUS0042", 1, 2);
            (List<JsonElement> held, _) = await Walk(ingest, "&device=BUS0042", 100);
            Assert.Equal(6, held.Count);
            Assert.Equal(Enumerable.Range(0, 6).Select(i => Convert.ToHexStringLower(SHA256.HashData(Padded("BUS0042", i, 5000)))).Reverse(), held.Select(h => h.GetProperty("sha256").GetString()));
            Assert.Equal(["BUS0042/BadMac=4", "BUS0042/UnknownCard=2"], await Dropped(ingest));

            // A repeat of a held record is still counted on it (it takes no more room); another device still has its room.
            BadMac(ingest, "BUS0042", 0, padTo: 5000);
            Assert.Equal(1, held.Count(h => h.GetProperty("sha256").GetString() == Convert.ToHexStringLower(SHA256.HashData(firstPayload))));
            Assert.Equal(1, (await Page(ingest, "?device=BUS0042&limit=100")).GetProperty("items").EnumerateArray().Single(i => i.GetProperty("sha256").GetString() == Convert.ToHexStringLower(SHA256.HashData(firstPayload))).GetProperty("repeats").GetInt64());
            BadMac(ingest, "BUS0043", 0, padTo: 5000);
            Assert.Single((await Page(ingest, "?device=BUS0043")).GetProperty("items").EnumerateArray());
            QuarantineUsage usage = ingest.Host.Pipeline.Store.QuarantineUsage().Single(u => u.Device == "BUS0042");
            Assert.Equal(6, usage.Records);
            Assert.True(usage.Bytes <= (6 * record) + (record / 2), $"{usage.Bytes} bytes");
        }

        await using RunningIngest again = await RunningIngest.StartAsync(new FakeTimeProvider(T0), data: data, configure: Limits);
        Assert.Equal(["BUS0042/BadMac=4", "BUS0042/UnknownCard=2"], await Dropped(again));
        BadMac(again, "BUS0042", 50, padTo: 5000);
        Assert.Equal(["BUS0042/BadMac=5", "BUS0042/UnknownCard=2"], await Dropped(again));
    }

    [Fact]
    public async Task Past_the_total_limit_every_devices_refusals_are_only_counted()
    {
        const int kept = 1000;
        long record = RecordBytes("BUS0042", kept);
        await using RunningIngest ingest = await RunningIngest.StartAsync(new FakeTimeProvider(T0), configure: o =>
        {
            o.QuarantinePayloadBytes = kept;
            o.QuarantineDeviceBytes = (3 * record) + (record / 2);
            o.QuarantineTotalBytes = (4 * record) + (record / 2);
        });
        for (int i = 0; i < 3; i++)
        {
            BadMac(ingest, "BUS0042", i, padTo: 5000);
            BadMac(ingest, "BUS0043", i, padTo: 5000);
        }

        // Both devices under their own limit until the total is reached: 4 held (42, 43, 42, 43), then 42 and 43 counted.
        Assert.Equal(2, (await Walk(ingest, "&device=BUS0042", 10)).Items.Count);
        Assert.Equal(2, (await Walk(ingest, "&device=BUS0043", 10)).Items.Count);
        Assert.Equal(["BUS0042/BadMac=1", "BUS0043/BadMac=1"], await Dropped(ingest));
        (int status, string metrics) = await ingest.Get("/metrics", null);
        Assert.Equal(200, status);
        Assert.Contains("maebashi_ingest_quarantine 4", metrics, StringComparison.Ordinal);
        Assert.Contains("# TYPE maebashi_ingest_quarantine_dropped_total counter", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Records_past_the_retention_are_purged_by_the_upkeep_on_the_injected_clock_and_free_their_room()
    {
        const int kept = 1000;
        long record = RecordBytes("BUS0042", kept);
        void Limits(IngestOptions o)
        {
            o.QuarantinePayloadBytes = kept;
            o.QuarantineDeviceBytes = (2 * record) + (record / 2);
        }

        var time = new FakeTimeProvider(T0);
        string data;
        await using (RunningIngest ingest = await RunningIngest.StartAsync(time, configure: Limits))
        {
            data = ingest.Data;
            BadMac(ingest, "BUS0042", 1, padTo: 5000);
            time.Advance(TimeSpan.FromDays(60));
            BadMac(ingest, "BUS0042", 2, padTo: 5000);
            BadMac(ingest, "BUS0042", 3, padTo: 5000); // over the device's limit: counted only
            Assert.Equal(2, (await Page(ingest, "")).GetProperty("items").GetArrayLength());
        }

        // 91 days after the first record: the upkeep purges it as the ingest starts.
        time.Advance(TimeSpan.FromDays(31));
        await using RunningIngest later = await RunningIngest.StartAsync(time, data: data, configure: Limits);
        JsonElement only = Assert.Single((await Page(later, "")).GetProperty("items").EnumerateArray());
        Assert.Equal(T0.AddDays(60), only.GetProperty("at").GetDateTimeOffset());
        Assert.Equal(1, later.Host.Pipeline.Store.QuarantineUsage().Single(u => u.Device == "BUS0042").Records);
        (_, string metrics) = await later.Get("/metrics", null);
        Assert.Contains("maebashi_ingest_quarantine 1", metrics, StringComparison.Ordinal);

        // Its room is free again: the next record is held, not counted.
        BadMac(later, "BUS0042", 4, padTo: 5000);
        Assert.Equal(2, (await Page(later, "")).GetProperty("items").GetArrayLength());
        Assert.Equal(["BUS0042/BadMac=1"], await Dropped(later));
    }

    [Fact]
    public void The_purge_keeps_a_record_exactly_as_old_as_the_retention_and_removes_it_a_moment_later()
    {
        var time = new FakeTimeProvider(T0);
        using var kit = new PipelineKit(time);
        byte[] payload = Padded("BUS0042", 1, 0);
        Assert.True(kit.Pipeline.ProcessBatch(TestKit.Topic("BUS0042"), payload, TestKit.Mac("BUS0042", "another payload"u8.ToArray())).IsRejected);
        time.Advance(QuarantineLimits.Default.Retention);
        Assert.Equal(0, kit.Pipeline.PurgeQuarantine());
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, kit.Pipeline.PurgeQuarantine());
        Assert.Empty(kit.Store.Quarantine(10));
        Assert.Null(kit.Store.QuarantinePayload(1));
        Assert.Equal((0L, 0L), kit.Store.QuarantineUsage().Select(u => (u.Records, u.Bytes)).Single());
    }

    [Fact]
    public void A_store_written_before_the_limits_keeps_its_quarantine_in_the_bounded_layout()
    {
        string dir = TestKit.TempDir();
        byte[] batch = Padded("BUS0042", 1, 0);
        string sha = Convert.ToHexStringLower(SHA256.HashData(batch));
        using (var old = new LiteDB.LiteDatabase(Path.Combine(dir, "ingest.db")))
        {
            // The layout before: one document per record, the payload inside, the id the payload's SHA-256 (and '#' and the seq).
            LiteDB.ILiteCollection<LiteDB.BsonDocument> quarantine = old.GetCollection("quarantine");
            quarantine.Insert(new LiteDB.BsonDocument
            {
                ["_id"] = sha, ["scope"] = "batch", ["dev"] = "BUS0042", ["topic"] = TestKit.Topic("BUS0042"), ["code"] = "BadMac",
                ["reason"] = BadMacReason, ["seq"] = LiteDB.BsonValue.Null, ["at"] = T0.UtcTicks, ["b"] = batch,
            });
            quarantine.Insert(new LiteDB.BsonDocument
            {
                ["_id"] = sha + "#2", ["scope"] = "event", ["dev"] = "BUS0042", ["topic"] = TestKit.Topic("BUS0042"), ["code"] = "UnknownCard",
                ["reason"] = "card.tok: unknown card token", ["seq"] = 2L, ["at"] = T0.AddMinutes(1).UtcTicks, ["b"] = batch,
            });
        }

        using var store = new LiteDbIngestStore(dir);
        IReadOnlyList<QuarantineRecord> records = store.Quarantine(10);
        Assert.Equal([(QuarantineKind.Event, (ulong?)2, T0.AddMinutes(1)), (QuarantineKind.Batch, null, T0)], records.Select(r => (r.Kind, r.Seq, r.At)));
        Assert.All(records, r => Assert.Equal(sha, r.Sha256));
        Assert.Equal(batch, store.QuarantinePayload(records[1].Id));
        Assert.Equal(2, store.QuarantineCount());
    }

    [Theory]
    [InlineData("--quarantine-device-bytes", "0", "QuarantineDeviceBytes (--quarantine-device-bytes): expected a positive number of bytes")]
    [InlineData("--quarantine-payload-bytes", "2000000", "QuarantinePayloadBytes (--quarantine-payload-bytes): expected 1 to 1048576 bytes")]
    [InlineData("--quarantine-retention-days", "0", "QuarantineRetention (--quarantine-retention-days): expected a positive period")]
    [InlineData("--quarantine-retention-days", "99999999", "--quarantine-retention-days: expected at most 36500")]
    public async Task Run_refuses_a_quarantine_option_out_of_bounds_naming_it(string option, string value, string message)
    {
        string data = Path.Combine(TestKit.TempDir(), "d");
        (int exit, _, string err) = await EdgeCli.RunAsync(["ingest", "run", "--registry", SharedFixtures.RegistryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0", option, value]);
        Assert.Equal(2, exit);
        Assert.Contains(message, err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("device", "QuarantineDeviceBytes (--quarantine-device-bytes)")]
    [InlineData("total", "QuarantineTotalBytes (--quarantine-total-bytes)")]
    [InlineData("device-over-total", "QuarantineDeviceBytes (--quarantine-device-bytes)")]
    [InlineData("payload", "QuarantinePayloadBytes (--quarantine-payload-bytes)")]
    [InlineData("payload-over-device", "QuarantinePayloadBytes (--quarantine-payload-bytes)")]
    [InlineData("retention", "QuarantineRetention (--quarantine-retention-days)")]
    public async Task A_bad_quarantine_limit_is_refused_at_start_naming_the_option(string bad, string named)
    {
        string data = TestKit.TempDir();
        var options = new IngestOptions { RegistryPath = SharedFixtures.RegistryPath, DataDirectory = Path.Combine(data, "store"), MqttPort = 0, HttpPort = 0 };
        switch (bad)
        {
            case "device": options.QuarantineDeviceBytes = 0; break;
            case "total": options.QuarantineTotalBytes = -1; break;
            case "device-over-total": options.QuarantineDeviceBytes = options.QuarantineTotalBytes + 1; break;
            case "payload": options.QuarantinePayloadBytes = 0; break;
            case "payload-over-device": options.QuarantineDeviceBytes = 1000; options.QuarantinePayloadBytes = 1001; break;
            default: options.QuarantineRetention = TimeSpan.Zero; break;
        }

        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(
            () => IngestHost.StartAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None));
        Assert.Contains(e.Failures, f => f.StartsWith(named, StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(data, "store")));
    }
}
