using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>A pipeline over a LiteDB store in a temp directory (or the store given), with a fake clock.</summary>
internal sealed class PipelineKit : IDisposable
{
    public PipelineKit(FakeTimeProvider time, string? dir = null, int cacheCapacity = 20_000, long? snapshotEvery = null, ILogFsync? logFsync = null, WalletEvaluator? evaluate = null)
        : this(time, new LiteDbIngestStore(dir ??= TestKit.TempDir(), cacheCapacity, snapshotEvery, logFsync), evaluate)
    {
    }

    /// <summary>A pipeline over <paramref name="store"/>, which the kit disposes.</summary>
    public PipelineKit(FakeTimeProvider time, IIngestStore store, WalletEvaluator? evaluate = null)
    {
        Time = time;
        Store = store;
        Pipeline = new IngestPipeline(TestKit.Registry, Store, time, new IngestMetrics(time), NullLogger.Instance, evaluate);
    }

    public FakeTimeProvider Time { get; }
    public IIngestStore Store { get; }
    public IngestPipeline Pipeline { get; }

    public Ack Send(string device, params JsonObject[] events)
    {
        byte[] payload = TestKit.Batch(device, events);
        BatchOutcome o = Pipeline.ProcessBatch(TestKit.Topic(device), payload, TestKit.Mac(device, payload));
        Assert.False(o.IsRejected, o.RejectedReason);
        return o.Ack!;
    }

    /// <summary>Every person's wallet as a comparable text: value, points by source, trips; and the entries add up to it.</summary>
    public string Wallets()
    {
        var lines = new List<string>();
        foreach (string pid in TestKit.Pids.Order(StringComparer.Ordinal))
        {
            PersonState s = Pipeline.WalletOf(pid);
            IReadOnlyList<WalletEntry> entries = Store.EntriesOf(pid);
            if (Store.GetPerson(pid) is not null)
            {
                Assert.Equal(s.Value, entries.Sum(e => e.Value));
                Assert.Equal(s.Points, entries.Sum(e => e.Points));
            }

            lines.Add($"{pid} value={s.Value} points={s.Points} bus={s.PointsBus} vol={s.PointsVolunteer} health={s.PointsHealth} debt={s.InDebt} trips={JsonSerializer.Serialize(Store.AllTrips(pid))}");
        }

        foreach (string clinic in new[] { "C01", "C02" })
        {
            lines.Add(clinic + " " + JsonSerializer.Serialize(Store.CheckIns(clinic, new DateOnly(2026, 11, 30))));
        }

        foreach (string ev in new[] { "E-CLEANUP-1129", "E-WALK-1130" })
        {
            lines.Add(ev + " " + JsonSerializer.Serialize(Store.Participations(ev)));
        }

        return string.Join('\n', lines);
    }

    public void Dispose() => Store.Dispose();
}
