using System.Reflection;
using System.Runtime.CompilerServices;
using Maebashi.Edge.Ingest.Pipeline;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>Tests and benchmarks reach the ingest through its public seams, not through its internals.</summary>
[Trait("Category", "Architecture")]
public sealed class IngestSeamTests
{
    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TestKit.Jst));

    [Fact]
    public void The_ingest_library_opens_its_internals_to_no_test_or_benchmark()
    {
        Assembly ingest = typeof(IngestPipeline).Assembly;
        Assert.DoesNotContain(
            ingest.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName),
            name => name.Contains(".Tests", StringComparison.Ordinal) || name.Contains(".Bench", StringComparison.Ordinal));
    }

    [Fact]
    public void A_snapshot_asked_for_now_holds_every_stored_person_and_a_restart_reads_it()
    {
        string dir = TestKit.TempDir();
        string before;
        using (var kit = new PipelineKit(Clock(), dir))
        {
            kit.Send("BUS0042", TestKit.Board(1, "DEADBEEF", new DateTimeOffset(2026, 11, 30, 8, 0, 0, TestKit.Jst), "S01"));
            // As the benchmark asks for it: through the pipeline's store, no cast to the LiteDB store.
            Assert.Equal(1, kit.Pipeline.Store.WriteSnapshot());
            before = kit.Wallets();
        }

        using var again = new PipelineKit(Clock(), dir);
        Assert.Equal(before, again.Wallets());
    }
}
