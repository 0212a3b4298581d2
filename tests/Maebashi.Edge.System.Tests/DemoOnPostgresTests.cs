using Maebashi.Edge.Demo;
using Maebashi.Edge.Ingest.Store.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Maebashi.Edge.System.Tests;

/// <summary>
/// Issue 14, item 7: given a PostgreSQL server, the demo runs with <c>--store postgresql://…</c> — the fleet rides,
/// volunteers and checks in, and what the ingest applied is in that database.
/// </summary>
[Trait("Category", "System")]
[Trait("Category", "ScaleOut")]
[Collection(PostgresCollection.Name)]
public sealed class DemoOnPostgresTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_demo_on_a_PostgreSQL_store_applies_every_tap_into_that_database()
    {
        PostgresDatabase db = await postgres.Server.CreateDatabaseAsync("demo");
        var output = new StringWriter();
        DemoReport report;
        Dictionary<string, long> recorded;
        await using (DemoFleet fleet = await DemoFleet.StartAsync(
            new DemoOptions { Duration = TimeSpan.FromSeconds(60), Speed = 3, HttpPort = 0, Store = db.Uri },
            TextWriter.Synchronized(output), NullLoggerFactory.Instance, CancellationToken.None))
        {
            await fleet.RunAsync(CancellationToken.None);
            Assert.True(await fleet.DrainAsync(TimeSpan.FromSeconds(90)), "backlogs did not drain:\n" + output);
            report = await fleet.ReportAsync(CancellationToken.None);
            // A device with nothing recorded has published nothing, so the store has no row for it.
            recorded = fleet.Terminals.Select(t => (t.Options.DeviceId, t.Ledger.Summary().Entries)).Where(t => t.Entries > 0)
                .ToDictionary(t => t.DeviceId, t => t.Entries);
        }

        var written = new StringWriter();
        report.Write(written);
        Assert.True(report.Trips > 0 && report.Fares > 0, output + written.ToString());
        Assert.True(report.Participants.Values.Sum() > 0, output + written.ToString());
        // Read back from the database after the demo ended: what each terminal recorded was applied there, once.
        using var store = new PostgresIngestStore(PostgresConnectionUri.Parse(db.Uri));
        Assert.True(recorded.Count >= 3, $"devices that recorded taps: {string.Join(", ", recorded.Keys)}");
        Assert.Equal(recorded, store.Devices().ToDictionary(d => d.Device, d => d.EventsApplied));
    }
}
