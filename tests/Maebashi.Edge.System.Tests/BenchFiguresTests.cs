using System.Text.Json;
using Maebashi.Edge.Bench.WholeSystem;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.System.Tests;

/// <summary>
/// The figures `maebashi-edge bench` reports: a wrong percentile or a misread /proc line would
/// put a false number against a budget in docs/benchmarks.md.
/// </summary>
[Trait("Category", "System")]
public sealed class BenchFiguresTests
{
    [Fact]
    public void Percentiles_are_nearest_rank_whatever_the_order_of_the_samples()
    {
        double[] samples = [.. Enumerable.Range(1, 100).Select(i => (double)i).Reverse()];

        Assert.Equal(50, BenchFigures.Percentile(samples, 0.50));
        Assert.Equal(99, BenchFigures.Percentile(samples, 0.99));
        Assert.Equal(100, BenchFigures.Percentile(samples, 1.0));
        Assert.Equal(1, BenchFigures.Percentile(samples, 0.0));
    }

    [Fact]
    public void The_p99_of_few_samples_is_the_worst_one_not_an_interpolation()
    {
        Assert.Equal(40, BenchFigures.Percentile([3.0, 40.0, 2.0, 1.0], 0.99));
        Assert.Equal(7, BenchFigures.Percentile([7.0], 0.5));
        Assert.True(double.IsNaN(BenchFigures.Percentile([], 0.5)));
    }

    [Fact]
    public void Resident_memory_is_read_from_the_kernels_status_lines_in_MiB()
    {
        const string status = "Name:\tdotnet\nVmPeak:\t 3120000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t21\n";

        Assert.Equal(100.0, ProcStatus.Mb(status, "VmRSS"));
        Assert.Equal(200.0, ProcStatus.Mb(status, "VmHWM"));
        Assert.Null(ProcStatus.Mb(status, "VmSwap"));
        Assert.Null(ProcStatus.Mb("VmRSS:\tlots\n", "VmRSS"));
    }

    [Fact]
    public void This_process_has_a_resident_size()
    {
        double? rss = ProcStatus.Of(Environment.ProcessId, "VmRSS");

        Assert.NotNull(rss);
        Assert.InRange(rss!.Value, 1, 64 * 1024);
        Assert.Null(ProcStatus.Of(int.MaxValue, "VmRSS"));
    }

    [Fact]
    public void The_last_line_is_one_JSON_object_with_the_keys_in_order_and_unmeasured_figures_as_null()
    {
        string line = BenchFigures.JsonLine([new("tap_verdict_p99_ms", 2.5), new("backlog_drain_s", double.NaN), new("ingest_events_per_s", 4268.123456)]);

        Assert.DoesNotContain('\n', line);
        using JsonDocument doc = JsonDocument.Parse(line);
        Assert.Equal(new[] { "tap_verdict_p99_ms", "backlog_drain_s", "ingest_events_per_s" }, doc.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2.5, doc.RootElement.GetProperty("tap_verdict_p99_ms").GetDouble());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("backlog_drain_s").ValueKind);
        Assert.Equal(4268.123, doc.RootElement.GetProperty("ingest_events_per_s").GetDouble());
    }

    [Fact]
    public void A_harness_s_figures_come_from_its_last_JSON_line_numbers_only()
    {
        string[] output =
        [
            "Ingest benchmark (--quick)",
            "{\"old\":1}",
            "end to end: 16,000 events",
            "{\"ingest_events_per_s\":3066,\"ingest_vs_store_ratio\":0.26,\"note\":\"text\"}",
            "done",
        ];

        Dictionary<string, double> figures = BenchFigures.NumbersOfLastJsonLine(output);

        Assert.Equal(2, figures.Count);
        Assert.Equal(3066, figures["ingest_events_per_s"]);
        Assert.Equal(0.26, figures["ingest_vs_store_ratio"]);
        Assert.Empty(BenchFigures.NumbersOfLastJsonLine(["no json here", "{broken"]));
    }
}
