using System.Text;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// The quarantine, in one place: it is being redesigned (issue 14, item 5: bounded, paged by `before`), and these
// cases follow that design when it lands.
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
        Assert.Equal(1, kit.Store.QuarantineCount());
        QuarantineRecord record = Assert.Single(kit.Store.Quarantine(10));
        Assert.Equal(("batch", "BUS0042", TestKit.Topic("BUS0042"), "BadMac", (ulong?)null, Nov(30, 9, 0)),
            (record.Scope, record.Device, record.Topic, record.Code, record.Seq, record.At));
        Assert.Equal(payload, record.Payload);
        Assert.Equal(record with { Payload = [] }, kit.Store.FindQuarantine(record.Id)! with { Payload = [] });
        Assert.Null(kit.Store.FindQuarantine("no such record"));
        Assert.Empty(kit.Pipeline.WalletOf("P0001").Trips);
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
        Assert.Equal(4, kit.Store.QuarantineCount());
        QuarantinePage bus42 = kit.Store.Quarantine(new QuarantineFilter("BUS0042", null), skip: 0, take: 2);
        Assert.Equal(3, bus42.Total);
        Assert.Equal([(Nov(30, 9, 2), "UnknownCard", (ulong?)2), (Nov(30, 9, 1), "BadMac", null)], bus42.Items.Select(q => (q.At, q.Code, q.Seq)));
        QuarantinePage next = kit.Store.Quarantine(new QuarantineFilter("BUS0042", null), skip: 2, take: 2);
        Assert.Equal([(Nov(30, 9, 0), "event")], next.Items.Select(q => (q.At, q.Scope)));
        QuarantinePage forged = kit.Store.Quarantine(new QuarantineFilter(null, "BadMac"), skip: 0, take: 10);
        Assert.Equal(["BUS0043", "BUS0042"], forged.Items.Select(q => q.Device));
        Assert.Equal(1, kit.Store.Quarantine(new QuarantineFilter("BUS0043", "BadMac"), 0, 10).Total);
        Assert.Equal(0, kit.Store.Quarantine(new QuarantineFilter("BUS0043", "UnknownCard"), 0, 10).Total);
        Assert.Equal([Nov(30, 9, 3), Nov(30, 9, 2)], kit.Store.Quarantine(2).Select(q => q.At));
    }
}
