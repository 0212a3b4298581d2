using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Emulation.Cards;
using Maebashi.Edge.Firmware.Simulator;
using Maebashi.Edge.Firmware.Taps;
using Maebashi.Edge.Terminal.Config;
using Maebashi.Edge.Terminal.Hosting;
using Maebashi.Edge.Terminal.Roles;
using Maebashi.Edge.Terminal.Taps;

namespace Maebashi.Edge.System.Tests;

/// <summary>
/// The fault suite (docs/faults.md): each fault against the embedded broker and a real Mosquitto, each asserting
/// that no accepted tap is lost, none is applied twice, and that the wallets, check-ins and participations the
/// operators read equal those of a fault-free run of the same taps.
/// </summary>
[Trait("Category", "Fault")]
[Trait("Category", "System")]
public sealed class FaultTests
{
    private const int Burst = 160;
    private static readonly string[] AllDevices = ["BUS0042", "EVT01", "CLN01"];
    private static readonly ConcurrentDictionary<string, Lazy<Task<Reference>>> References = new();
    private static readonly TimeSpan Jst = TimeSpan.FromHours(9);

    private sealed record Reference(string Snapshot, Dictionary<string, long> Applied);

    public static TheoryData<BrokerKind> Brokers => new() { BrokerKind.Embedded, BrokerKind.Mosquitto };

    /// <summary>
    /// Four simulated days, 2026-11-19 to 11-22 JST, of one bus, one event site and one clinic reception: commutes
    /// with and without alighting (closed by the bus's trip_end), a third trip that meets the daily cap, children
    /// and infants, a health event with in and out (points per hour), clinic check-ins with a repeat later that day.
    /// </summary>
    internal static List<Step> FourDays()
    {
        var steps = new List<Step>();
        for (int d = 0; d < 4; d++)
        {
            var day = new DateTimeOffset(2026, 11, 19, 0, 0, 0, Jst).AddDays(d);
            var morning = new List<Step>();
            for (int i = 0; i < 40; i++)
            {
                morning.Add(Step.Board(day.AddHours(7).AddMinutes(i), FaultRegistry.RiderUid(i), i % 3 == 0 ? "S03" : "S01"));
            }

            for (int i = 0; i < 40; i++)
            {
                if (i % 4 != 1)
                {
                    morning.Add(Step.Alight(day.AddHours(7).AddMinutes(45 + i), FaultRegistry.RiderUid(i), i % 2 == 0 ? "S05" : "S07"));
                }
            }

            morning.Add(Step.Board(day.AddHours(8), "04A1B2C3D4E5F6", "S02"));
            morning.Add(Step.Alight(day.AddHours(8).AddMinutes(20), "04A1B2C3D4E5F6", "S06"));
            morning.Add(Step.End(day.AddHours(9).AddMinutes(30), "S07"));
            steps.AddRange(morning.OrderBy(s => s.At));

            for (int i = 60; i < 66; i++)
            {
                steps.Add(Step.Checkin(day.AddHours(10).AddMinutes(i - 60), FaultRegistry.RiderUid(i)));
            }

            steps.Add(Step.Checkin(day.AddHours(11), FaultRegistry.RiderUid(60))); // the same patient again: same check-in
            steps.Add(Step.Checkin(day.AddHours(11).AddMinutes(5), "DEADBEEF"));

            if (d == 1)
            {
                for (int i = 40; i < 55; i++)
                {
                    steps.Add(Step.EventIn(FaultRegistry.EventStart.AddMinutes(10 + i), FaultRegistry.RiderUid(i)));
                }

                for (int i = 40; i < 55; i += 2)
                {
                    steps.Add(Step.EventOut(FaultRegistry.EventStart.AddHours(2).AddMinutes(i), FaultRegistry.RiderUid(i)));
                }
            }

            // Evening: the way home, and a third trip for some that reaches the daily cap.
            var evening = new List<Step>();
            for (int i = 0; i < 25; i++)
            {
                evening.Add(Step.Board(day.AddHours(17).AddMinutes(i), FaultRegistry.RiderUid(i), "S07"));
                evening.Add(Step.Alight(day.AddHours(17).AddMinutes(40 + i), FaultRegistry.RiderUid(i), "S01"));
            }

            for (int i = 15; i < 22; i++)
            {
                evening.Add(Step.Board(day.AddHours(19).AddMinutes(i), FaultRegistry.RiderUid(i), "S01"));
                evening.Add(Step.Alight(day.AddHours(19).AddMinutes(40 + i), FaultRegistry.RiderUid(i), "S07"));
            }

            evening.Add(Step.End(day.AddHours(21), "S07"));
            steps.AddRange(evening.OrderBy(s => s.At));
        }

        return steps;
    }

    private static IEnumerable<DateOnly> Days(IEnumerable<Step> steps) => steps.Where(s => s.At is not null).Select(s => DateOnly.FromDateTime(s.At!.Value.ToOffset(Jst).DateTime));

    /// <summary>The fault-free run of a script (embedded broker, no fault), computed once per script.</summary>
    private static Task<Reference> ReferenceAsync(string name, IReadOnlyList<Step> steps, bool withTimes = true, Action<TerminalOptions, TerminalParts>? configure = null) =>
        References.GetOrAdd(name, _ => new Lazy<Task<Reference>>(async () =>
        {
            using FaultStack stack = await FaultStack.StartAsync(BrokerKind.Embedded);
            await using Fleet fleet = await Fleet.StartAsync(stack.DevicePort, AllDevices, configure: configure);
            await fleet.ConfiguredAsync(stack);
            await fleet.PlayAsync(steps);
            await fleet.DrainedAsync(stack);
            var applied = new Dictionary<string, long>();
            foreach (string d in AllDevices)
            {
                applied[d] = await stack.EventsAppliedAsync(d);
            }

            string snapshot = await stack.SnapshotAsync(Days(steps), withTimes);

            // The comparison means something only if the script has effects: fares charged, and check-ins and
            // participations where the script has them.
            Assert.Contains("\"charge\"", snapshot, StringComparison.Ordinal);
            Assert.Equal(steps.Any(s => s.Device == "CLN01"), snapshot.Contains("\"patientNo\"", StringComparison.Ordinal));
            Assert.Equal(steps.Any(s => s.Device == "EVT01"), snapshot.Contains("\"sectorId\"", StringComparison.Ordinal));
            return new Reference(snapshot, applied);
        })).Value;

    /// <summary>Every accepted tap applied once: the ingest's count per device equals the taps the terminals recorded.</summary>
    private static async Task AssertAppliedOnceAsync(FaultStack stack, Fleet fleet, Reference reference)
    {
        foreach (string d in AllDevices)
        {
            long recorded = fleet.Accepted.Count(a => a.Device == d);
            Assert.Equal(recorded, await stack.EventsAppliedAsync(d));
            Assert.Equal(reference.Applied[d], await stack.EventsAppliedAsync(d));
        }
    }

    /// <summary>The fault run's view equals the fault-free one; on a difference, the first differing lines and both files.</summary>
    private static void AssertSameView(string expected, string actual)
    {
        if (expected == actual)
        {
            return;
        }

        string[] e = expected.Split('\n');
        string[] a = actual.Split('\n');
        string dir = Directory.CreateTempSubdirectory("maebashi-fault-diff-").FullName;
        File.WriteAllText(Path.Combine(dir, "fault-free.json"), expected);
        File.WriteAllText(Path.Combine(dir, "with-fault.json"), actual);
        var diff = Enumerable.Range(0, Math.Max(e.Length, a.Length))
            .Where(i => i >= e.Length || i >= a.Length || e[i] != a[i])
            .Take(8)
            .Select(i => $"line {i + 1}: fault-free {(i < e.Length ? e[i].Trim() : "—")} | with fault {(i < a.Length ? a[i].Trim() : "—")}");
        Assert.Fail($"the city's view differs from the fault-free run (both in {dir}):\n{string.Join('\n', diff)}");
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Network_cut_for_four_simulated_days_then_the_backlog_drains_and_the_city_sees_the_fault_free_result(BrokerKind broker)
    {
        List<Step> steps = FourDays();
        Reference reference = await ReferenceAsync(nameof(FourDays), steps);

        using FaultStack stack = await FaultStack.StartAsync(broker);
        await using Fleet fleet = await Fleet.StartAsync(stack.DevicePort, AllDevices, batchSize: 25);
        await fleet.ConfiguredAsync(stack);
        foreach (string d in AllDevices)
        {
            fleet.Link(d).Cut();
        }

        List<TapOutcome?> outcomes = await fleet.PlayAsync(steps);
        Assert.DoesNotContain(outcomes, o => o is { Verdict: Verdict.Refused });
        Assert.Equal(fleet.Accepted.Count(a => a.Device == "BUS0042"), fleet["BUS0042"].Ledger.Backlog);
        Assert.Equal(0, await stack.EventsAppliedAsync("BUS0042"));

        foreach (string d in AllDevices)
        {
            fleet.Link(d).Restore();
        }

        await fleet.DrainedAsync(stack);
        await AssertAppliedOnceAsync(stack, fleet, reference);
        AssertSameView(reference.Snapshot, await stack.SnapshotAsync(Days(steps)));
    }

    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Ingest_killed_9_mid_batch_and_restarted_on_the_same_data_applies_every_tap_once(BrokerKind broker)
    {
        List<Step> steps = FourDays();
        Reference reference = await ReferenceAsync(nameof(FourDays), steps);

        using FaultStack stack = await FaultStack.StartAsync(broker);
        await using Fleet fleet = await Fleet.StartAsync(stack.DevicePort, AllDevices, batchSize: 5);
        await fleet.ConfiguredAsync(stack);
        fleet.Link("BUS0042").Cut();
        await fleet.PlayAsync(steps);
        long total = fleet.Accepted.Count(a => a.Device == "BUS0042");
        fleet.Link("BUS0042").Restore();

        // Kill as soon as the drain is under way: batches are in flight, some stored, some not yet acknowledged.
        await stack.Until("the ingest has applied part of the bus's backlog", async () => await stack.EventsAppliedAsync("BUS0042") >= 40);
        stack.Ingest.KillHard();
        Assert.True(fleet["BUS0042"].Ledger.Backlog > 0, "the kill came after the drain");
        Assert.True(fleet["BUS0042"].Ledger.Backlog < total, "nothing was acknowledged before the kill");

        await stack.StartIngestAsync();
        await fleet.DrainedAsync(stack);
        await AssertAppliedOnceAsync(stack, fleet, reference);
        AssertSameView(reference.Snapshot, await stack.SnapshotAsync(Days(steps)));
    }

    [Fact]
    public async Task Mosquitto_killed_9_mid_drain_and_restarted_on_its_persistence_loses_and_doubles_nothing()
    {
        List<Step> steps = FourDays();
        Reference reference = await ReferenceAsync(nameof(FourDays), steps);

        using FaultStack stack = await FaultStack.StartAsync(BrokerKind.Mosquitto);
        await using Fleet fleet = await Fleet.StartAsync(stack.DevicePort, AllDevices, batchSize: 5);
        await fleet.ConfiguredAsync(stack);
        fleet.Link("BUS0042").Cut();
        await fleet.PlayAsync(steps);
        long total = fleet.Accepted.Count(a => a.Device == "BUS0042");
        fleet.Link("BUS0042").Restore();

        await stack.Until("the ingest has applied part of the bus's backlog", async () => await stack.EventsAppliedAsync("BUS0042") >= 40);
        stack.Mosquitto!.Kill();
        Assert.True(fleet["BUS0042"].Ledger.Backlog > 0, "the kill came after the drain");
        Assert.True(fleet["BUS0042"].Ledger.Backlog < total, "nothing was acknowledged before the kill");

        stack.Mosquitto.Restart(TimeSpan.FromSeconds(20));
        await fleet.DrainedAsync(stack);
        await AssertAppliedOnceAsync(stack, fleet, reference);
        AssertSameView(reference.Snapshot, await stack.SnapshotAsync(Days(steps)));
    }

    /// <summary>
    /// A bus whose clock is an hour off. docs/contract.md §5: an event whose <c>at</c> is more than 5 minutes in the future
    /// is rejected in the ack with its reason and kept in quarantine; the rest of its batch is applied. So: the taps
    /// stamped an hour ahead are each acknowledged as rejected (they leave the ledger), each appear in the quarantine
    /// exactly once with their seq and raw payload, and have no effect; the taps stamped an hour behind are late taps
    /// and are applied as any late tap. The city's view equals a fault-free run of the correct and the behind taps.
    /// </summary>
    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task A_device_clock_an_hour_ahead_is_rejected_and_quarantined_and_an_hour_behind_is_applied(BrokerKind broker)
    {
        DateTimeOffset now = ClockBase.Value;
        // An hour ahead of the ingest's real clock: ClockBase is moved back from the early JST hours (the service-day
        // boundary), so the ahead taps count from now, not from it.
        DateTimeOffset real = DateTimeOffset.UtcNow.ToOffset(Jst);
        var correct = new List<Step>();
        var ahead = new List<Step>();
        var behind = new List<Step>();
        for (int i = 0; i < 10; i++)
        {
            correct.Add(Step.Board(now.AddHours(-3).AddMinutes(i), FaultRegistry.RiderUid(i), "S01"));
            correct.Add(Step.Alight(now.AddHours(-3).AddMinutes(30 + i), FaultRegistry.RiderUid(i), "S05"));
            ahead.Add(Step.Board(real.AddHours(1).AddMinutes(i), FaultRegistry.RiderUid(20 + i), "S01"));
            ahead.Add(Step.Alight(real.AddHours(1).AddMinutes(30 + i), FaultRegistry.RiderUid(20 + i), "S05"));
            behind.Add(Step.Board(now.AddHours(-1).AddMinutes(-40 + i), FaultRegistry.RiderUid(40 + i), "S03"));
            behind.Add(Step.Alight(now.AddHours(-1).AddMinutes(-10 + i), FaultRegistry.RiderUid(40 + i), "S07"));
        }

        Reference reference = await ReferenceAsync("clock", [.. correct, .. behind]);

        using FaultStack stack = await FaultStack.StartAsync(broker);
        await using Fleet fleet = await Fleet.StartAsync(stack.DevicePort, AllDevices);
        await fleet.ConfiguredAsync(stack);
        await fleet.PlayAsync(correct);
        int before = fleet.Accepted.Count;
        await fleet.PlayAsync(ahead);
        var aheadSeqs = fleet.Accepted.Skip(before).Select(a => a.Seq).ToHashSet();
        await fleet.PlayAsync(behind);
        Assert.Equal(ahead.Count, aheadSeqs.Count);
        await fleet.DrainedAsync(stack);

        // Nothing lost: every tap an hour ahead is in the quarantine once, with its reason and raw event.
        JsonArray quarantine = await stack.QuarantineAsync();
        var quarantined = quarantine.Where(q => q!["device"]?.GetValue<string>() == "BUS0042" && q["seq"] is not null)
            .Select(q => (ulong)q!["seq"]!.GetValue<long>()).ToList();
        Assert.Equal(aheadSeqs.Order(), quarantined.Order());
        Assert.All(quarantine, q => Assert.Contains("more than 5 minutes ahead of the ingest's clock", q!["reason"]!.GetValue<string>(), StringComparison.Ordinal));

        // Applied once: the correct and the behind taps, and nothing of the ahead ones.
        Assert.Equal(fleet.Accepted.Count - aheadSeqs.Count, await stack.EventsAppliedAsync("BUS0042"));
        Assert.Equal(reference.Applied["BUS0042"], await stack.EventsAppliedAsync("BUS0042"));
        AssertSameView(reference.Snapshot, await stack.SnapshotAsync(Days([.. correct, .. behind])));
    }

    private static readonly Lazy<DateTimeOffset> ClockBase = new(() =>
    {
        // Whole minutes, and away from the 03:00 JST service-day boundary so both runs see the same service days.
        DateTimeOffset n = DateTimeOffset.UtcNow.ToOffset(Jst);
        n = new DateTimeOffset(n.Year, n.Month, n.Day, n.Hour, n.Minute, 0, Jst);
        return n.Hour is >= 3 and < 8 ? n.AddHours(-(n.Hour - 2)) : n;
    });

    /// <summary>
    /// A full disk on a bus while it is offline: the taps it already accepted stay in the ledger, new taps are
    /// refused in red with the storage-full line (also left on the display), its status says diskFull; once space
    /// returns it accepts again and drains everything.
    /// </summary>
    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task A_full_disk_refuses_new_taps_keeps_every_accepted_one_and_drains_when_space_returns(BrokerKind broker)
    {
        var day = new DateTimeOffset(2026, 11, 21, 0, 0, 0, Jst);
        List<Step> before = [], during = [], after = [];
        for (int i = 0; i < 20; i++)
        {
            before.Add(Step.Board(day.AddHours(7).AddMinutes(i), FaultRegistry.RiderUid(i), "S01"));
            during.Add(Step.Board(day.AddHours(8).AddMinutes(i), FaultRegistry.RiderUid(20 + i), "S02"));
            after.Add(Step.Alight(day.AddHours(9).AddMinutes(i), FaultRegistry.RiderUid(i), "S07"));
            after.Add(Step.Board(day.AddHours(9).AddMinutes(i), FaultRegistry.RiderUid(40 + i), "S03"));
        }

        after.Add(Step.End(day.AddHours(10), "S07"));
        Reference reference = await ReferenceAsync("disk", [.. before, .. after]);

        using FaultStack stack = await FaultStack.StartAsync(broker);
        var disk = new SwitchableDisk();
        await using Fleet fleet = await Fleet.StartAsync(stack.DevicePort, AllDevices, disk);
        await fleet.ConfiguredAsync(stack);
        fleet.Link("BUS0042").Cut();
        await fleet.PlayAsync(before);
        var bus = fleet["BUS0042"];
        Assert.Equal(20, bus.Ledger.Backlog);

        disk.Full = true;
        List<TapOutcome?> refused = await fleet.PlayAsync(during);
        Assert.All(refused, o =>
        {
            Assert.Equal(Verdict.Refused, o!.Verdict);
            Assert.Equal(TapPipeline.StorageFullLine, o.Display);
            Assert.Null(o.Seq);
        });
        Assert.Equal(TapPipeline.StorageFullLine, bus.Display.Line);
        Assert.True(bus.Status("online").DiskFull);
        Assert.Equal(20, bus.Ledger.Backlog); // no accepted tap dropped to make room

        disk.Full = false;
        fleet.Link("BUS0042").Restore();
        List<TapOutcome?> resumed = await fleet.PlayAsync(after);
        Assert.DoesNotContain(resumed, o => o is { Verdict: Verdict.Refused });
        Assert.False(bus.Status("online").DiskFull);
        await fleet.DrainedAsync(stack);
        await AssertAppliedOnceAsync(stack, fleet, reference);
        AssertSameView(reference.Snapshot, await stack.SnapshotAsync(Days([.. before, .. after])));
    }

    /// <summary>
    /// kill -9 of the real terminal service during a burst of taps on its control socket, then a restart on the same
    /// state directory: every tap whose answer was shown (and every tap it recorded without getting to show it) reaches
    /// the ingest once; the city's view equals a fault-free run of the recorded taps.
    /// </summary>
    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Terminal_killed_9_during_a_burst_restarts_and_delivers_every_shown_tap_once(BrokerKind broker)
    {
        using FaultStack stack = await FaultStack.StartAsync(broker);
        using var terminal = new TerminalProcess(Path.Combine(stack.Directory, "bus"), stack.DevicePort);
        await terminal.StartAsync();
        var shown = new HashSet<string>(); // uids whose accept was shown
        using (ControlClient control = terminal.Control())
        {
            await stack.Until("the terminal has its cfg", async () => (await control.SendAsync("status")).Contains("\"cfgVersion\":", StringComparison.Ordinal)
                && !(await control.SendAsync("status")).Contains("\"cfgVersion\":null", StringComparison.Ordinal));
            Assert.StartsWith("ok", await control.SendAsync("at R01 S01"), StringComparison.Ordinal);

            // Taps are pipelined, at most 10 awaiting their answer (a busy door), so the kill lands with taps in flight.
            using var window = new SemaphoreSlim(10);
            using var stopWriting = new CancellationTokenSource();
            Task writer = Task.Run(async () =>
            {
                try
                {
                    for (int i = 0; i < Burst; i++)
                    {
                        await window.WaitAsync(stopWriting.Token);
                        await control.WriteAsync($"tap iso14443a {FaultRegistry.RiderUid(i)} rear");
                    }
                }
                catch (Exception e) when (e is IOException or OperationCanceledException)
                {
                    // The process died under the writer: expected.
                }
            });
            for (int i = 0; i < Burst; i++)
            {
                string? line;
                try
                {
                    line = await control.ReadAsync();
                }
                catch (IOException)
                {
                    break;
                }

                if (line is null)
                {
                    break;
                }

                Assert.StartsWith("ok accept seq=", line, StringComparison.Ordinal);
                shown.Add(FaultRegistry.RiderUid(i));
                if (i == 20)
                {
                    terminal.KillHard(); // answers already in the socket were shown before the kill
                }
                else
                {
                    window.Release();
                }
            }

            await stopWriting.CancelAsync();
            await writer;
        }

        Assert.InRange(shown.Count, 21, 31);
        await terminal.StartAsync();
        using (ControlClient control = terminal.Control())
        {
            Assert.StartsWith("ok", await control.SendAsync("at R01 S03"), StringComparison.Ordinal);
            for (int i = Burst; i < Burst + 10; i++)
            {
                Assert.StartsWith("ok accept", await control.SendAsync($"tap iso14443a {FaultRegistry.RiderUid(i)} rear"), StringComparison.Ordinal);
            }

            try
            {
                await stack.Until("the terminal has drained its backlog", async () => (await control.SendAsync("status")).Contains("\"backlog\":0", StringComparison.Ordinal));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException(e.Message + "\n--- terminal ---\n" + terminal.Output + "\n--- status ---\n" + await control.SendAsync("status"), e);
            }
        }

        // The taps the terminal recorded: read back from the ingest, which has applied each once.
        var recordedBurst = new List<int>();
        foreach (int i in Enumerable.Range(0, Burst))
        {
            JsonNode w = await stack.GetAsync($"/api/v1/cards/{FaultRegistry.Token(Maebashi.Edge.Contract.Identity.CardTech.Iso14443A, FaultRegistry.RiderUid(i))}/wallet");
            int trips = w["trips"]!.AsArray().Count;
            Assert.InRange(trips, 0, 1); // never applied twice
            if (trips == 1)
            {
                recordedBurst.Add(i);
            }
        }

        Assert.All(shown, uid => Assert.Contains(uid, recordedBurst.Select(FaultRegistry.RiderUid))); // no shown tap lost
        long applied = await stack.EventsAppliedAsync("BUS0042");
        Assert.Equal(recordedBurst.Count + 10, applied);

        // The fault-free run of the same taps: the recorded burst at S01, ten at S03. (No end of run: on the real
        // clock a trip_end in the same second as the last boards would make the result depend on timing.)
        List<Step> script = [.. recordedBurst.Select(i => Step.Board(null, FaultRegistry.RiderUid(i), "S01")), .. Enumerable.Range(Burst, 10).Select(i => Step.Board(null, FaultRegistry.RiderUid(i), "S03"))];
        string key = "kill-terminal-" + broker + "-" + string.Join(',', recordedBurst.Select(i => i.ToString(CultureInfo.InvariantCulture)));
        Reference reference = await ReferenceAsync(key, script, withTimes: false);
        Assert.Equal(reference.Applied["BUS0042"], applied);
        AssertSameView(reference.Snapshot, await stack.SnapshotAsync(Days(script), withTimes: false));
    }

    /// <summary>
    /// The bus's door validators (the firmware core on emulated hardware, two on a simulated RS-485 line the terminal
    /// masters): 12 riders board at the rear validator and alight at the front one; the rear validator loses its power
    /// while it writes the 7th boarding to its flash (a torn record, no light shown), is powered up again on the same
    /// flash and the rider taps again.
    /// </summary>
    [Theory]
    [MemberData(nameof(Brokers))]
    public async Task Validator_power_cut_mid_record_then_restarted_on_its_flash_delivers_every_shown_tap_once(BrokerKind broker)
    {
        const int Riders = 12;
        const int CutRider = 6;
        const int Rear = 1; // address 2, boarding
        const int Front = 0; // address 1, alighting
        TimeSpan hold = TimeSpan.FromSeconds(20);
        await using ValidatorBusSimulator line = ValidatorBusSimulator.Start(ValidatorBusSimulator.FrontAndRear("V0042"));
        using FaultStack stack = await FaultStack.StartAsync(broker);
        await using Fleet fleet = await Fleet.StartAsync(stack.DevicePort, AllDevices, configure: (options, parts) =>
        {
            if (options.Role != DeviceRoles.Bus)
            {
                return;
            }

            options.Readers =
            [
                new ReaderOptions { Name = "rear", Driver = ValidatorLineTapSourceFactory.Driver, Door = "rear", Tap = "board", Settings = { ["line"] = "bus", ["address"] = "2" } },
                new ReaderOptions { Name = "front", Driver = ValidatorLineTapSourceFactory.Driver, Door = "front", Tap = "alight", Settings = { ["line"] = "bus", ["address"] = "1" } },
            ];
            // Boarding and alighting follow within seconds here: the same card is a new tap, not a repeat.
            options.RepeatWindow = TimeSpan.FromMilliseconds(1);
            parts.ValidatorLines["bus"] = () => line.HostPort;
        });
        await fleet.ConfiguredAsync(stack);
        TerminalRuntime bus = fleet["BUS0042"];
        int shown = 0;

        static int Lights(SimulatedValidator v) => v.Inspect(f => f.Feedback.Played[(int)FeedbackPattern.Accept] + f.Feedback.Played[(int)FeedbackPattern.AcceptOffline] + f.Feedback.Played[(int)FeedbackPattern.Deny]);

        // A passenger holds the card until the validator shows green or red, then takes it away; the terminal records it.
        async Task TapAsync(int validator, string uid)
        {
            SimulatedValidator v = line.Validators[validator];
            int before = Lights(v);
            var card = new TypeACard(Convert.FromHexString(uid));
            v.Present(card);
            try
            {
                await stack.Until($"validator {validator} shows a light for a tap", () => Task.FromResult(Lights(v) > before), hold);
            }
            finally
            {
                v.Lift(card);
            }

            shown++;
            await stack.Until($"the terminal has recorded the {shown} shown taps (ledger {bus.Ledger.Entries})", () => Task.FromResult(bus.Ledger.Entries == shown), hold);
        }

        bus.Vehicle.Set("R01", "S01");
        for (int i = 0; i < CutRider; i++)
        {
            await TapAsync(Rear, FaultRegistry.RiderUid(i));
        }

        // The cut: nothing else of this validator is waiting for its flash, so its next flash operation is writing
        // the next tap; the power fails 20 bytes into it.
        SimulatedValidator dying = line.Validators[Rear];
        await stack.Until("the rear validator has handed over its taps", () => Task.FromResult(dying.Inspect(f => f.Ring.PendingCount) == 0), hold);
        int lightsBefore = Lights(dying);
        dying.TapFlash.CutPowerAt(dying.TapFlash.Operations, 20);
        var torn = new TypeACard(Convert.FromHexString(FaultRegistry.RiderUid(CutRider)));
        dying.Present(torn);
        await stack.Until("the rear validator lost its power writing the tap", () => Task.FromResult(dying.PoweredOff), hold);
        dying.Lift(torn);
        Assert.Equal(lightsBefore, Lights(dying)); // no light: the passenger was not told the tap counted

        // Power returns: the validator starts on the same flash (the torn record is skipped) and the passenger taps again.
        SimulatedValidator restarted = line.Restart(Rear);
        Assert.Equal(0, restarted.Inspect(f => f.Ring.PendingCount));
        for (int i = CutRider; i < Riders; i++)
        {
            await TapAsync(Rear, FaultRegistry.RiderUid(i));
        }

        bus.Vehicle.Set("R01", "S03");
        for (int i = 0; i < Riders; i++)
        {
            await TapAsync(Front, FaultRegistry.RiderUid(i));
        }

        Assert.Equal(2 * Riders, shown);
        await fleet.DrainedAsync(stack);

        // Every shown tap reached the ingest once: its count for the bus equals the ledger's entries, and every rider
        // has exactly the one ride.
        Assert.Equal(bus.Ledger.Entries, await stack.EventsAppliedAsync("BUS0042"));
        Assert.Equal(2 * Riders, await stack.EventsAppliedAsync("BUS0042"));
        for (int i = 0; i < Riders; i++)
        {
            JsonNode w = await stack.GetAsync($"/api/v1/cards/{FaultRegistry.Token(Maebashi.Edge.Contract.Identity.CardTech.Iso14443A, FaultRegistry.RiderUid(i))}/wallet");
            Assert.Single(w["trips"]!.AsArray());
        }

        // The fault-free run of the same rides (on the real clock, times dropped).
        List<Step> script = [.. Enumerable.Range(0, Riders).Select(i => Step.Board(null, FaultRegistry.RiderUid(i), "S01")), .. Enumerable.Range(0, Riders).Select(i => Step.Alight(null, FaultRegistry.RiderUid(i), "S03"))];
        Reference reference = await ReferenceAsync("validator-power-cut", script, withTimes: false, (options, _) => options.RepeatWindow = TimeSpan.FromMilliseconds(1));
        Assert.Equal(reference.Applied["BUS0042"], await stack.EventsAppliedAsync("BUS0042"));
        AssertSameView(reference.Snapshot, await stack.SnapshotAsync(Days(script), withTimes: false));
    }
}
