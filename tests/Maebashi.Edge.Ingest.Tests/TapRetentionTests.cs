using Maebashi.Edge.Ingest.Hosting;
using Maebashi.Edge.Ingest.Store;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The retention of raw taps as the ingest runs it (issue 13 item 4): <c>--tap-retention-years</c> is checked, and the
/// upkeep purges the taps of days past it when the ingest starts. What is purged and what stays: the store conformance.
/// </summary>
[Trait("Category", "History")]
public sealed class TapRetentionTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("101")]
    public async Task Run_refuses_a_tap_retention_out_of_bounds_naming_it(string years)
    {
        string data = Path.Combine(TestKit.TempDir(), "d");
        (int exit, _, string err) = await EdgeCli.RunAsync(["ingest", "run", "--registry", SharedFixtures.RegistryPath, "--data", data, "--mqtt-port", "0", "--http-port", "0", "--tap-retention-years", years]);
        Assert.Equal(2, exit);
        Assert.Contains($"TapRetentionYears (--tap-retention-years): expected 1 to 100 years, got {years}", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_upkeep_purges_taps_past_the_retention_when_the_ingest_starts()
    {
        var now = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TestKit.Jst);
        using var kit = new PipelineKit(new FakeTimeProvider(now));
        kit.Send("BUS0042",
            TestKit.Board(1, "04A1B2C3D4E5F6", now.AddYears(-2), "S01"), TestKit.Alight(2, "04A1B2C3D4E5F6", now.AddYears(-2).AddMinutes(20), "S05"),
            TestKit.Board(3, "04A1B2C3D4E5F6", now.AddHours(-4), "S01"));
        var options = Options.Create(new IngestOptions { RegistryPath = SharedFixtures.RegistryPath, TapRetentionYears = 1 });
        using var upkeep = new TapRetentionUpkeep(options, kit.Store, kit.Time, NullLogger<TapRetentionUpkeep>.Instance);

        await upkeep.StartAsync(CancellationToken.None);
        await upkeep.StopAsync(CancellationToken.None);

        Assert.Equal([3UL], kit.Store.Write(w => w.TapsOfPerson("P0001", DateTimeOffset.MinValue)).Select(t => t.Seq));
    }
}
