using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// The quarantine, in one place (issue 14, item 5: bounded, keyset pages by `before`): what the console's quarantine
// page shows. Its limits and purge are QuarantineTests' (LiteDB) and the PostgreSQL store's own tests.
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task A_batch_quarantined_twice_is_one_record_that_survives_reopening()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        byte[] payload = TestKit.Batch("BUS0042", TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"));

        BatchOutcome forged = kit.Pipeline.ProcessBatch(TestKit.Topic("BUS0042"), payload, new string('0', 64));
        kit.Time.Advance(TimeSpan.FromMinutes(1));
        kit.Pipeline.ProcessBatch(TestKit.Topic("BUS0042"), payload, new string('0', 64));
        kit = Reopen(kit);

        Assert.True(forged.IsRejected);
        QuarantinePage page = kit.Store.Quarantine(new QuarantineQuery(null, null, null, 10));
        QuarantineRecord record = Assert.Single(page.Items);
        Assert.Null(page.Next);
        // First quarantined at 09:00, sent again once (docs/contract.md §6: a repeat adds to repeats, never a new record).
        Assert.Equal((QuarantineKind.Batch, "BUS0042", TestKit.Topic("BUS0042"), "BadMac", (ulong?)null, Nov(30, 9, 0), 1L),
            (record.Kind, record.Device, record.Topic, record.Code, record.Seq, record.At, record.Repeats));
        Assert.Equal((payload.LongLength, Convert.ToHexStringLower(SHA256.HashData(payload))), (record.Size, record.Sha256));
        Assert.Equal(payload, kit.Store.QuarantinePayload(record.Id));
        Assert.Null(kit.Store.QuarantinePayload(record.Id + 1000));
        Assert.Empty(kit.Store.AllTrips("P0001"));
    }

    [Fact]
    public async Task The_consoles_quarantine_page_filters_by_device_and_reason_newest_first()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        JsonObject UnknownCard(ulong seq) => new()
        {
            ["seq"] = seq, ["type"] = EventTypes.Board, ["at"] = TestKit.At(Nov(30, 8, 0)),
            ["card"] = new JsonObject { ["tok"] = new string('A', 22), ["tech"] = "iso14443a" },
            ["ctx"] = new JsonObject { ["route"] = "R01", ["vehicle"] = "V0042", ["stop"] = "S01" }, ["decision"] = "accept",
        };

        // BUS0042: an unknown card at 09:00, a forged batch at 09:01, another unknown card at 09:02; BUS0043: a forged batch at 09:03.
        Ack ack = kit.Send("BUS0042", UnknownCard(1));
        kit.Time.Advance(TimeSpan.FromMinutes(1));
        kit.Pipeline.ProcessBatch(TestKit.Topic("BUS0042"), Encoding.UTF8.GetBytes("""{"device":"BUS0042","events":[]}"""), new string('0', 64));
        kit.Time.Advance(TimeSpan.FromMinutes(1));
        kit.Send("BUS0042", UnknownCard(2));
        kit.Time.Advance(TimeSpan.FromMinutes(1));
        kit.Pipeline.ProcessBatch(TestKit.Topic("BUS0043"), Encoding.UTF8.GetBytes("""{"device":"BUS0043","events":[]}"""), new string('0', 64));

        Assert.Equal(ResultStatus.Rejected, Assert.Single(ack.Results).Status);
        QuarantinePage bus42 = kit.Store.Quarantine(new QuarantineQuery("BUS0042", null, null, 2));
        Assert.Equal([(Nov(30, 9, 2), "UnknownCard", (ulong?)2), (Nov(30, 9, 1), "BadMac", null)], bus42.Items.Select(q => (q.At, q.Code, q.Seq)));
        QuarantinePage next = kit.Store.Quarantine(new QuarantineQuery("BUS0042", null, bus42.Next, 2));
        Assert.Equal([(Nov(30, 9, 0), QuarantineKind.Event)], next.Items.Select(q => (q.At, q.Kind)));
        Assert.Null(next.Next);
        QuarantinePage forged = kit.Store.Quarantine(new QuarantineQuery(null, "BadMac", null, 10));
        Assert.Equal(["BUS0043", "BUS0042"], forged.Items.Select(q => q.Device));
        Assert.Single(kit.Store.Quarantine(new QuarantineQuery("BUS0043", "BadMac", null, 10)).Items);
        Assert.Empty(kit.Store.Quarantine(new QuarantineQuery("BUS0043", "UnknownCard", null, 10)).Items);
        Assert.Equal([Nov(30, 9, 3), Nov(30, 9, 2)], kit.Store.Quarantine(new QuarantineQuery(null, null, null, 2)).Items.Select(q => q.At));
    }
}
