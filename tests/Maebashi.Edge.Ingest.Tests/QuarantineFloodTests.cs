using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MQTTnet;
using Xunit.Abstractions;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The flood of issue 14: a device with valid credentials sends 2,000 distinct bad batches of 200 kB each through the real
/// ingest (the embedded broker, as a device publishes). Before the quarantine was bounded this left 393 MB on disk, a
/// 100 MB answer and a gigabyte of resident memory.
/// </summary>
/// <remarks>
/// The ingest runs in the test process, so the memory measured is the test process's working set (its resident memory):
/// the ingest's plus the test's own client and payloads, an upper bound of the ingest's growth. It is sampled every 100
/// batches and after the page, and the peak is compared with the start, without forcing a collection.
/// </remarks>
[Trait("Category", "ScaleOut")]
public sealed class QuarantineFloodTests(ITestOutputHelper output)
{
    private const int Batches = 2_000;
    private const int BatchBytes = 200_000;
    private const long MaxDiskGrowth = 100L * 1000 * 1000;
    private const long MaxMemoryGrowth = 300L * 1000 * 1000;
    private static readonly TimeSpan MaxPageTime = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_device_flooding_the_quarantine_with_2000_distinct_bad_batches_of_200_kB_leaves_disk_and_memory_bounded_and_a_page_quick()
    {
        await using RunningIngest ingest = await RunningIngest.StartAsync();
        string data = ingest.Host.DataDirectory;
        using Process self = Process.GetCurrentProcess();
        long diskBefore = Bytes(data);
        long memoryBefore = WorkingSet(self);
        long memoryPeak = memoryBefore;

        await using DeviceClient bus = await DeviceClient.ConnectAsync("BUS0042", ingest.Host.MqttPort);
        string wrongMac = TestKit.Mac("BUS0042", "another payload"u8.ToArray());
        var flood = Stopwatch.StartNew();
        for (int i = 0; i < Batches; i++)
        {
            // The broker answers each publish once the ingest has handled it: a refused batch is answered PayloadFormatInvalid.
            Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await bus.PublishAsync(Flood(i), mac: wrongMac));
            if (i % 100 == 99)
            {
                memoryPeak = Math.Max(memoryPeak, WorkingSet(self));
            }
        }

        flood.Stop();
        long diskAfter = Bytes(data);

        var page = Stopwatch.StartNew();
        (int status, string body) = await ingest.Get("/api/v1/quarantine", RunningIngest.AdminToken);
        page.Stop();
        memoryPeak = Math.Max(memoryPeak, WorkingSet(self));
        output.WriteLine($"{Batches} batches of {BatchBytes} bytes in {flood.Elapsed.TotalSeconds:F1} s; data directory +{(diskAfter - diskBefore) / 1e6:F1} MB; working set {memoryBefore / 1e6:F0} MB, peak +{(memoryPeak - memoryBefore) / 1e6:F0} MB; page {page.Elapsed.TotalMilliseconds:F0} ms, {body.Length} characters");

        Assert.Equal(200, status);
        Assert.True(diskAfter - diskBefore < MaxDiskGrowth, $"the data directory grew by {diskAfter - diskBefore} bytes");
        Assert.True(memoryPeak - memoryBefore < MaxMemoryGrowth, $"the working set grew by {memoryPeak - memoryBefore} bytes");
        Assert.True(page.Elapsed < MaxPageTime, $"a page took {page.Elapsed}");

        // What the device's 16 MiB hold, the rest counted: every batch is either a record or in the metric.
        using JsonDocument doc = JsonDocument.Parse(body);
        Assert.Equal(100, doc.RootElement.GetProperty("items").GetArrayLength());
        long held = ingest.Host.Pipeline.Store.QuarantineUsage().Single(u => u.Device == "BUS0042").Records;
        Assert.InRange(held, 100, 16L * 1024 * 1024 / (64 * 1024));
        (_, string metrics) = await ingest.Get("/metrics", null);
        Match dropped = Assert.Single(Regex.Matches(metrics, "^maebashi_ingest_quarantine_dropped_total\\{([^}]*)\\} ([0-9]+)", RegexOptions.Multiline));
        Assert.Contains("device=\"BUS0042\"", dropped.Groups[1].Value, StringComparison.Ordinal);
        Assert.Contains("code=\"BadMac\"", dropped.Groups[1].Value, StringComparison.Ordinal);
        Assert.Equal((Batches - held).ToString(System.Globalization.CultureInfo.InvariantCulture), dropped.Groups[2].Value);
    }

    /// <summary>A distinct, well-formed batch of <see cref="BatchBytes"/> bytes: one event and a filler the reader would ignore.</summary>
    private static byte[] Flood(int n)
    {
        string head = $$"""{"device":"BUS0042","n":{{n}},"events":[{"seq":{{n + 1}},"type":"board","at":"2026-12-05T09:00:00.000+09:00","ctx":{"route":"R01","vehicle":"V0042","stop":"S01"},"decision":"accept"}],"pad":""";
        byte[] payload = new byte[BatchBytes];
        int at = Encoding.UTF8.GetBytes(head, payload);
        payload.AsSpan(at, BatchBytes - at - 2).Fill((byte)'x');
        payload[^2] = (byte)'"';
        payload[^1] = (byte)'}';
        return payload;
    }

    private static long Bytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    private static long WorkingSet(Process self)
    {
        self.Refresh();
        return self.WorkingSet64;
    }
}
