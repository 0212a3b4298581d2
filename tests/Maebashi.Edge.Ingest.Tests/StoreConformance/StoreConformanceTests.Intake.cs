using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// De-duplication of (device, seq) and each device's progress: what a bus sees in its acks.
public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task A_batch_delivered_twice_is_applied_once_and_the_second_ack_says_duplicate()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        var ride = new[] { TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(30, 8, 20), "S05") };

        Ack first = kit.Send("BUS0042", ride);
        Ack again = kit.Send("BUS0042", ride);

        Assert.Equal(2UL, first.UpTo);
        Assert.All(first.Results, r => Assert.Equal(ResultStatus.Applied, r.Status));
        Assert.Equal(2UL, again.UpTo);
        Assert.All(again.Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
        PersonState wallet = kit.Pipeline.WalletOf("P0001");
        Assert.Equal(1000 - FareS01ToS05, wallet.Value);
        Assert.Single(wallet.Trips);
        Assert.Single(kit.Store.EntriesOf("P0001"), e => e.Kind == Rules.PostingKinds.Fare);
    }

    [Fact]
    public async Task A_batch_redelivered_after_the_store_was_reopened_is_still_a_duplicate()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0));
        var ride = new[] { TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(30, 8, 20), "S05") };
        kit.Send("BUS0042", ride);

        kit = Reopen(kit);
        // The bus never got its ack (the ingest stopped before publishing it) and sends the batch, then one more event.
        Ack again = kit.Send("BUS0042", [.. ride, TestKit.Board(3, AdultCard, Nov(30, 8, 50), "S05")]);

        Assert.Equal(3UL, again.UpTo);
        Assert.Equal([ResultStatus.Duplicate, ResultStatus.Duplicate, ResultStatus.Applied], again.Results.Select(r => r.Status));
        Assert.Equal(2, kit.Pipeline.WalletOf("P0001").Trips.Count);
        Assert.Single(kit.Store.EntriesOf("P0001"), e => e.Key == "fare:BUS0042:1");
    }

    [Fact]
    public async Task Each_devices_progress_is_its_highest_seq_and_when_it_was_last_heard()
    {
        PipelineKit kit = await OpenAsync(Nov(30, 8, 30));
        kit.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(30, 8, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(30, 8, 20), "S05"));
        kit.Send("BUS0043", TestKit.Board(1, ChildCard, Nov(30, 8, 10), "M01", "R02", "V0043"));
        kit.Time.SetUtcNow(Nov(30, 9, 30));
        kit.Send("BUS0042", TestKit.Board(4, TeenCard, Nov(30, 9, 0), "S01"));
        // A late batch of a lower seq settles it without lowering what the bus may drop.
        kit.Time.SetUtcNow(Nov(30, 9, 40));
        Ack late = kit.Send("BUS0042", TestKit.Board(3, DisabilityCard, Nov(30, 8, 50), "S01"));

        Assert.Equal(4UL, late.UpTo);
        Dictionary<string, DeviceProgress> devices = kit.Store.Devices().ToDictionary(d => d.Device);
        Assert.Equal(new DeviceProgress("BUS0042", 4, Nov(30, 9, 40), 4), devices["BUS0042"]);
        Assert.Equal(new DeviceProgress("BUS0043", 1, Nov(30, 8, 30), 1), devices["BUS0043"]);
        Assert.Equal(2, devices.Count);
    }
}
