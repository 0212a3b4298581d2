using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;

namespace Maebashi.Edge.Ingest.Tests.StoreConformance;

// De-duplication of (device, seq), units that commit whole or not at all, and each device's progress: what a bus
// sees in its acks.
public abstract partial class StoreConformanceTests
{
    private static readonly TimeSpan ReaderTimeout = TimeSpan.FromSeconds(30);

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
        Assert.Single(kit.Store.AllTrips("P0001"));
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
        Assert.Equal(2, kit.Store.AllTrips("P0001").Count);
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

    [Fact]
    public async Task A_batch_whose_unit_fails_midway_leaves_nothing_behind_and_is_applied_in_full_when_redelivered()
    {
        bool diskFull = false;
        WalletEvaluator failing = (registry, history, from, now) =>
            diskFull ? throw new IOException("no space left on device") : WalletRules.EvaluateDays(registry, history, from, now);
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0), failing);
        kit.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(30, 7, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(30, 7, 20), "S05"));
        var second = new[] { TestKit.Board(3, AdultCard, Nov(30, 8, 0), "S05"), TestKit.Alight(4, AdultCard, Nov(30, 8, 30), "S01") };

        // The unit fails after its de-duplication records were written: no ack goes out, the bus keeps the batch.
        diskFull = true;
        byte[] payload = TestKit.Batch("BUS0042", second);
        Assert.Throws<InvalidOperationException>(() => kit.Pipeline.ProcessBatch(TestKit.Topic("BUS0042"), payload, TestKit.Mac("BUS0042", payload)));
        Assert.Equal(2UL, Assert.Single(kit.Store.Devices()).UpTo);
        diskFull = false;
        Ack redelivered = kit.Send("BUS0042", second);

        Assert.Equal(4UL, redelivered.UpTo);
        Assert.All(redelivered.Results, r => Assert.Equal(ResultStatus.Applied, r.Status));
        Assert.Equal(1000 - (2 * FareS01ToS05), kit.Pipeline.WalletOf("P0001").Value);
        Assert.Equal(new DeviceProgress("BUS0042", 4, Nov(30, 9, 0), 4), Assert.Single(kit.Store.Devices()));
    }

    [Fact]
    public async Task While_a_batch_is_being_applied_a_reader_sees_the_wallets_as_they_were_before_it()
    {
        IIngestStore? store = null;
        (long Value, int Entries, ulong UpTo)? seenMidway = null;
        WalletEvaluator reading = (registry, history, from, now) =>
        {
            // P0002 is evaluated after P0001 in the batch below: P0001's new state is written, not yet committed.
            if (history.Person.Pid == "P0002" && store is not null)
            {
                seenMidway = Task.Run(() => (store.GetPerson("P0001")!.Value, store.EntriesOf("P0001").Count, store.Devices().Single().UpTo))
                    .WaitAsync(ReaderTimeout).GetAwaiter().GetResult();
            }

            return WalletRules.EvaluateDays(registry, history, from, now);
        };
        PipelineKit kit = await OpenAsync(Nov(30, 9, 0), reading);
        kit.Send("BUS0042", TestKit.Board(1, AdultCard, Nov(30, 7, 0), "S01"), TestKit.Alight(2, AdultCard, Nov(30, 7, 20), "S05"));
        int entriesBefore = kit.Store.EntriesOf("P0001").Count;
        store = kit.Store;

        kit.Send("BUS0042",
            TestKit.Board(3, AdultCard, Nov(30, 8, 0), "S05"), TestKit.Board(4, ChildCard, Nov(30, 8, 0), "S05"),
            TestKit.Alight(5, AdultCard, Nov(30, 8, 30), "S01"), TestKit.Alight(6, ChildCard, Nov(30, 8, 30), "S01"));

        Assert.Equal((1000 - FareS01ToS05, entriesBefore, 2UL), seenMidway);
        Assert.Equal(1000 - (2 * FareS01ToS05), kit.Pipeline.WalletOf("P0001").Value);
    }
}
