using System.Text.Json;
using System.Text.Json.Nodes;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Pipeline;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.Ingest.Store.Postgres;
using Maebashi.Edge.TestSupport;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Maebashi.Edge.Ingest.Tests;

/// <summary>
/// The PostgreSQL store against a real server (issue 14 item 1): its schema migrated once however many workers start
/// together, a newer schema refused, and the pipeline on it giving the wallets the LiteDB store gives.
/// </summary>
[Collection(PostgresCollection.Name)]
[Trait("Category", "ScaleOut")]
public sealed class PostgresStoreTests(PostgresFixture postgres)
{
    private async Task<PostgresDatabase> Database() => await postgres.Server.CreateDatabaseAsync("pgstore");

    private static NpgsqlConnectionStringBuilder Settings(PostgresDatabase db) => PostgresConnectionUri.Parse(db.Uri);

    [Fact]
    public async Task Workers_starting_together_migrate_the_schema_once()
    {
        NpgsqlConnectionStringBuilder settings = Settings(await Database());
        using var start = new Barrier(4);

        PostgresIngestStore[] workers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            return new PostgresIngestStore(settings);
        })));

        try
        {
            Assert.Equal(PostgresSchema.KnownVersion, workers.Sum(w => w.SchemaMigrationsApplied));
            await using var c = new NpgsqlConnection(settings.ConnectionString);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT version FROM schema_version ORDER BY version", c);
            var versions = new List<int>();
            await using (NpgsqlDataReader r = await cmd.ExecuteReaderAsync())
            {
                while (await r.ReadAsync())
                {
                    versions.Add(r.GetInt32(0));
                }
            }

            Assert.Equal(Enumerable.Range(1, PostgresSchema.KnownVersion), versions);
            using var again = new PostgresIngestStore(settings);
            Assert.Equal(0, again.SchemaMigrationsApplied);
        }
        finally
        {
            foreach (PostgresIngestStore w in workers)
            {
                w.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_schema_newer_than_the_ingest_knows_is_refused_naming_both_versions()
    {
        PostgresDatabase db = await Database();
        NpgsqlConnectionStringBuilder settings = Settings(db);
        new PostgresIngestStore(settings).Dispose();
        int newer = PostgresSchema.KnownVersion + 1;
        await using (var c = new NpgsqlConnection(settings.ConnectionString))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"INSERT INTO schema_version (version, name) VALUES ({newer}, 'from_a_newer_ingest')", c);
            await cmd.ExecuteNonQueryAsync();
        }

        StoreSchemaException e = Assert.Throws<StoreSchemaException>(() => new PostgresIngestStore(settings));
        Assert.Contains($"version {newer}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"version {PostgresSchema.KnownVersion}", e.Message, StringComparison.Ordinal);

        (int exit, _, string err) = await EdgeCli.RunAsync(
            ["ingest", "run", "--registry", SharedFixtures.RegistryPath, "--store", db.Uri, "--mqtt-port", "0", "--http-port", "0"]);
        Assert.Equal(2, exit);
        Assert.Contains($"schema is version {newer}, newer than version {PostgresSchema.KnownVersion}", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pipeline_on_PostgreSQL_gives_the_wallets_entries_and_check_ins_it_gives_on_LiteDB()
    {
        var random = new Random(14);
        List<DayHistoryOrderTests.Batch> batches = DayHistoryOrderTests.Generate(random);
        batches.Add(new DayHistoryOrderTests.Batch("EVT01", ExactlyOnceTests.Evt, new DateTimeOffset(2026, 11, 30, 9, 40, 0, TestKit.Jst)));
        DateTimeOffset stillThere = new(2026, 11, 30, 9, 0, 0, TestKit.Jst);
        batches.Add(new DayHistoryOrderTests.Batch("EVT01", [TestKit.EventIn(3, "04C0FFEE123456", stillThere, "E-WALK-1130")], stillThere));
        var shuffled = batches.OrderBy(_ => random.Next()).ToList();
        DateTimeOffset end = DayHistoryOrderTests.First.AddDays(11);

        string onLiteDb = Deliver(clock => new PipelineKit(clock), shuffled, end);
        NpgsqlConnectionStringBuilder settings = Settings(await Database());
        string onPostgres = Deliver(clock => new PipelineKit(clock, new PostgresIngestStore(settings)), shuffled, end);

        Assert.Equal(onLiteDb, onPostgres);
        Assert.Contains("\"Out\":null", onPostgres, StringComparison.Ordinal); // a participant still at the event

        // Another worker opening the same database reads what the first committed, and applies nothing twice.
        using var second = new PipelineKit(new FakeTimeProvider(end), new PostgresIngestStore(settings));
        Assert.Equal(onPostgres, Wallets(second, end));
        string wallets = second.Wallets();
        DayHistoryOrderTests.Batch first = batches[0];
        Assert.All(second.Send(first.Device, first.Events).Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
        Assert.Equal(wallets, second.Wallets());
    }

    [Fact]
    public async Task A_database_of_schema_6_is_upgraded_on_start_and_its_stored_taps_trips_and_checkpoints_still_evaluate()
    {
        var random = new Random(6);
        List<DayHistoryOrderTests.Batch> batches = DayHistoryOrderTests.Generate(random);
        var shuffled = batches.OrderBy(_ => random.Next()).ToList();
        DateTimeOffset end = DayHistoryOrderTests.First.AddDays(11);
        string onLiteDb = Deliver(clock => new PipelineKit(clock), shuffled, end);

        // Half the batches are stored, then the database is put back to schema 6, whose bodies were jsonb holding the
        // same JSON; the next start migrates it to 7 and the other half (late taps of earlier days among them) replays
        // from the stored taps, trips and checkpoints.
        NpgsqlConnectionStringBuilder settings = Settings(await Database());
        int migrated = -1;
        string upgraded = Deliver(clock => new PipelineKit(clock, new PostgresIngestStore(settings)), shuffled, end, reopenAfter: shuffled.Count / 2, whileClosed: () =>
        {
            Sql(settings, """
                ALTER TABLE taps ALTER COLUMN body TYPE jsonb USING body::jsonb;
                ALTER TABLE trips ALTER COLUMN body TYPE jsonb USING body::jsonb;
                ALTER TABLE checkpoints ALTER COLUMN body TYPE jsonb USING body::jsonb;
                DELETE FROM schema_version WHERE version > 6;
                """);
            using var store = new PostgresIngestStore(settings);
            migrated = store.SchemaMigrationsApplied;
        });

        Assert.Equal(PostgresSchema.KnownVersion - 6, migrated);
        Assert.Equal(onLiteDb, upgraded);
        Assert.Equal(["text", "text", "text"], Sql(settings, "SELECT data_type FROM information_schema.columns WHERE column_name = 'body' AND table_name IN ('taps', 'trips', 'checkpoints')"));
    }

    [Fact]
    public void Units_the_store_rolls_back_and_runs_again_give_the_wallets_of_one_run()
    {
        // What PostgreSQL does to a unit after a deadlock (IIngestStore.Write), done to every unit: the pipeline's work
        // must change nothing outside the unit, so the second run finds everything as the first did.
        var random = new Random(41);
        List<DayHistoryOrderTests.Batch> batches = DayHistoryOrderTests.Generate(random);
        var shuffled = batches.OrderBy(_ => random.Next()).ToList();
        DateTimeOffset end = DayHistoryOrderTests.First.AddDays(11);
        InterceptedUnits? runs = null;

        string once = Deliver(clock => new PipelineKit(clock), shuffled, end);
        string twice = Deliver(clock =>
        {
            IIngestStore store = InterceptedUnits.Around(new LiteDbIngestStore(TestKit.TempDir()), out InterceptedUnits units);
            units.RunTwice = true;
            runs = units;
            return new PipelineKit(clock, store);
        }, shuffled, end);

        Assert.True(runs!.Retried > 50, $"{runs.Retried} units run twice");
        Assert.Equal(once, twice);
    }

    [Fact]
    public async Task A_top_up_sent_to_two_workers_at_once_is_applied_by_one_and_a_duplicate_for_the_other()
    {
        // A till retrying through a load balancer: the same receipt reaches both workers at the same moment. The one that
        // looks before the other commits must still answer "duplicate", never "applied" twice (the wallet has it once).
        NpgsqlConnectionStringBuilder settings = Settings(await Database());
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TestKit.Jst));
        using var a = new PipelineKit(time, new PostgresIngestStore(settings));
        using var b = new PipelineKit(time, new PostgresIngestStore(settings));
        CardEntry card = TestKit.Registry.FindCard(TestKit.Tok("DEADBEEF"))!;
        long before = a.Pipeline.WalletOf(card.Pid).Value;
        const int Receipts = 20;

        for (int n = 0; n < Receipts; n++)
        {
            string receipt = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"R-RACE-{n}");
            using var start = new Barrier(2);
            ChargeStatus[] statuses = await Task.WhenAll(new[] { a, b }.Select(kit => Task.Run(() =>
            {
                start.SignalAndWait();
                return kit.Pipeline.ApplyValueChange(card, 100, receipt, ValueChangeKind.TopUp).Status;
            })));
            Assert.Equal([ChargeStatus.Applied, ChargeStatus.Duplicate], statuses.Order());
        }

        Assert.Equal(before + (Receipts * 100), a.Pipeline.WalletOf(card.Pid).Value);
    }

    [Fact]
    public async Task A_trip_end_on_one_worker_and_its_rider_on_another_take_their_locks_in_one_order()
    {
        NpgsqlConnectionStringBuilder settings = Settings(await Database());
        DateTimeOffset boarded = new(2026, 12, 1, 8, 0, 0, TestKit.Jst);
        var time = new FakeTimeProvider(boarded.AddMinutes(45));
        using var a = new PipelineKit(time, InterceptedUnits.Around(new PostgresIngestStore(settings), out InterceptedUnits unitsOfA));
        using var b = new PipelineKit(time, InterceptedUnits.Around(new PostgresIngestStore(settings), out InterceptedUnits unitsOfB));
        // P0001 boarded V0042; the trip is open. P0002 rode V0043 before (a person the store holds).
        a.Send("BUS0042", TestKit.Board(1, "04A1B2C3D4E5F6", boarded, "S01"));
        b.Send("BUS0043", TestKit.Board(1, "DEADBEEF", boarded.AddHours(-1), "S01", vehicle: "V0043"), TestKit.Alight(2, "DEADBEEF", boarded.AddMinutes(-50), "S03", vehicle: "V0043"));
        int runsOfA = unitsOfA.Runs, runsOfB = unitsOfB.Runs;

        // Worker A: V0042's trip_end, which closes P0001's trip, and P0002 boarding after it; held once it has its locks.
        using var aLocked = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        unitsOfA.AfterLockAhead = () =>
        {
            aLocked.Set();
            release.Wait();
        };
        var tripEnd = new JsonObject
        {
            ["seq"] = 2,
            ["type"] = "trip_end",
            ["at"] = TestKit.At(boarded.AddMinutes(30)),
            ["ctx"] = new JsonObject { ["route"] = "R01", ["vehicle"] = "V0042", ["stop"] = "S07" },
        };
        Task<Ack> first = Task.Run(() => a.Send("BUS0042", tripEnd, TestKit.Board(3, "DEADBEEF", boarded.AddMinutes(31), "S07")));
        Assert.True(aLocked.Wait(TimeSpan.FromSeconds(30)));
        unitsOfA.AfterLockAhead = null;

        // Worker B: both board V0043, so its unit locks P0001, then P0002. Had A locked only P0002 up front, each would
        // now wait for the other (PostgreSQL breaks that after a second and runs one unit again).
        Task<Ack> second = Task.Run(() => b.Send("BUS0043",
            TestKit.Board(3, "04A1B2C3D4E5F6", boarded.AddMinutes(40), "S01", vehicle: "V0043"),
            TestKit.Board(4, "DEADBEEF", boarded.AddMinutes(41), "S01", vehicle: "V0043")));
        await WaitForALockWaiterAsync(settings, second);
        release.Set();
        Ack[] acks = await Task.WhenAll(first, second);

        Assert.All(acks.SelectMany(ack => ack.Results), r => Assert.Equal(ResultStatus.Applied, r.Status));
        Assert.Equal(1, unitsOfA.Runs - runsOfA);
        Assert.Equal(1, unitsOfB.Runs - runsOfB);
    }

    /// <summary>Until a session of the database waits for a lock (the unit under test, blocked), or <paramref name="unit"/> ended.</summary>
    private static async Task WaitForALockWaiterAsync(NpgsqlConnectionStringBuilder settings, Task unit)
    {
        await using var c = new NpgsqlConnection(settings.ConnectionString);
        await c.OpenAsync();
        await using var waiting = new NpgsqlCommand(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()", c);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((long)(await waiting.ExecuteScalarAsync())! == 0 && !unit.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "no unit waited for a lock within 30 s");
            await Task.WhenAny(unit, Task.Delay(10));
        }
    }

    [Fact]
    public async Task Two_workers_taking_turns_at_one_buss_batches_count_every_rider_aboard()
    {
        NpgsqlConnectionStringBuilder settings = Settings(await Database());
        DateTimeOffset now = new(2026, 12, 1, 12, 0, 0, TestKit.Jst);
        var time = new FakeTimeProvider(now);
        string[] riders = ["04A1B2C3D4E5F6", "DEADBEEF", "1A2B3C4D", "04C0FFEE123456", "CAFEBABE"];
        using var a = new PipelineKit(time, new PostgresIngestStore(settings));
        using var b = new PipelineKit(time, new PostgresIngestStore(settings));

        // The broker's shared subscription hands the bus's batches to either worker: three riders board through one,
        // two through the other, and one of the first three alights through the first again.
        a.Send("BUS0042", [.. riders.Take(3).Select((uid, i) => TestKit.Board((ulong)i + 1, uid, now.AddMinutes(-20), "S01"))]);
        b.Send("BUS0042", [.. riders.Skip(3).Select((uid, i) => TestKit.Board((ulong)i + 4, uid, now.AddMinutes(-15), "S02"))]);
        Assert.Equal(5, b.Pipeline.TripOf("V0042").AboardAt(now));
        a.Send("BUS0042", TestKit.Alight(6, riders[0], now.AddMinutes(-10), "S03"));

        Assert.Equal(4, a.Pipeline.TripOf("V0042").AboardAt(now));
        Assert.Equal(4, b.Pipeline.TripOf("V0042").AboardAt(now)); // what the other worker's console and feed show
        using var restarted = new PipelineKit(time, new PostgresIngestStore(settings));
        Assert.Equal(4, restarted.Pipeline.TripOf("V0042").AboardAt(now));
    }

    /// <summary>Runs the statements; the first column of the last one's rows, as text.</summary>
    private static List<string> Sql(NpgsqlConnectionStringBuilder settings, string sql)
    {
        using var c = new NpgsqlConnection(settings.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        using NpgsqlDataReader r = cmd.ExecuteReader();
        var rows = new List<string>();
        do
        {
            rows.Clear();
            while (r.Read())
            {
                rows.Add(r.GetValue(0).ToString()!);
            }
        }
        while (r.NextResult());
        return rows;
    }

    [Fact]
    public async Task Quarantine_within_its_limits_retained_messages_meta_and_sector_ids_are_kept_and_read_back()
    {
        using var store = new PostgresIngestStore(Settings(await Database()));
        DateTimeOffset at = DayHistoryOrderTests.First;
        QuarantineEntry bad = new(QuarantineKind.Batch, "BUS0042", "maebashi/v1/dev/BUS0042/evt", "BadMac", "mac: does not verify", null, at, "aa", 3, [1, 2, 3]);
        QuarantineEntry late = new(QuarantineKind.Event, "CLN01", "maebashi/v1/dev/CLN01/evt", "UnknownCard", "card.tok: unknown card token", ulong.MaxValue, at.AddMinutes(1), "bb", 1, [4]);
        QuarantineEntry other = bad with { Sha256 = "cc", Kept = new byte[600] };
        // Room for the first record of BUS0042 and CLN01's, not for a second of BUS0042.
        var limits = new QuarantineLimits(DeviceBytes: other.Bytes + 100, TotalBytes: 1L << 20, PayloadBytes: 1 << 16, TimeSpan.FromDays(90));

        Assert.Equal([QuarantineOutcome.Added, QuarantineOutcome.Repeated, QuarantineOutcome.Added, QuarantineOutcome.Dropped],
            store.Write(w => new[] { w.AddQuarantine(bad, limits), w.AddQuarantine(bad, limits), w.AddQuarantine(late, limits), w.AddQuarantine(other, limits) }));
        QuarantinePage first = store.Quarantine(new QuarantineQuery(null, null, null, 1));
        Assert.Equal(("CLN01", ulong.MaxValue, QuarantineKind.Event), (first.Items.Single().Device, first.Items.Single().Seq, first.Items.Single().Kind));
        QuarantinePage second = store.Quarantine(new QuarantineQuery(null, null, first.Next, 1));
        Assert.Equal(("BUS0042", 1L, (long?)null), (second.Items.Single().Device, second.Items.Single().Repeats, second.Next));
        Assert.Equal([1, 2, 3], store.QuarantinePayload(second.Items.Single().Id));
        Assert.Null(store.QuarantinePayload(second.Items.Single().Id + 100));
        Assert.Equal(["BUS0042"], store.Quarantine(new QuarantineQuery("BUS0042", "BadMac", null, 10)).Items.Select(q => q.Device));
        Assert.Empty(store.Quarantine(new QuarantineQuery("BUS0042", "UnknownCard", null, 10)).Items);
        QuarantineUsage bus = store.QuarantineUsage().Single(u => u.Device == "BUS0042");
        Assert.Equal((1L, bad.Bytes, 1L), (bus.Records, bus.Bytes, bus.Dropped["BadMac"]));

        // The purge takes the older record and gives its room back.
        Assert.Equal(1, store.PurgeQuarantine(at.AddSeconds(30), 100));
        Assert.Equal(QuarantineOutcome.Added, store.Write(w => w.AddQuarantine(other, limits)));
        Assert.Equal((1L, other.Bytes), store.QuarantineUsage().Single(u => u.Device == "BUS0042") is var u ? (u.Records, u.Bytes) : default);
        store.Write(w =>
        {
            w.SetMeta("denyVersion", "7");
            w.IndexSector("T-0001", "P0001");
            return true;
        });
        store.PutRetained(new RetainedRecord("maebashi/v1/deny", [9, 9]));
        store.PutRetained(new RetainedRecord("maebashi/v1/cfg/BUS0042", [8]));
        store.PutRetained(new RetainedRecord("maebashi/v1/cfg/BUS0042", []));

        Assert.Equal("7", store.GetMeta("denyVersion"));
        Assert.Equal("P0001", store.PidOfSector("T-0001"));
        Assert.Null(store.PidOfSector("T-0002"));
        Assert.Equal(["maebashi/v1/deny"], store.RetainedMessages().Select(r => r.Topic));
    }

    // Eight days of buses and a clinic, and an event site: late batches in any day, every batch delivered twice (the second time a duplicate), a top-up, the clock closing trips.
    /// <param name="reopenAfter">After this many batches the store is closed, <paramref name="whileClosed"/> runs, and the rest go to a store opened anew.</param>
    private static string Deliver(Func<FakeTimeProvider, PipelineKit> open, List<DayHistoryOrderTests.Batch> batches, DateTimeOffset end,
        int reopenAfter = int.MaxValue, Action? whileClosed = null)
    {
        var clock = new FakeTimeProvider(DayHistoryOrderTests.First);
        PipelineKit kit = open(clock);
        try
        {
            for (int i = 0; i < batches.Count; i++)
            {
                if (i == reopenAfter)
                {
                    kit.Dispose();
                    whileClosed?.Invoke();
                    kit = open(clock);
                }

                Send(kit, clock, batches[i]);
            }

            return Finish(kit, clock, end);
        }
        finally
        {
            kit.Dispose();
        }
    }

    private static void Send(PipelineKit kit, FakeTimeProvider clock, DayHistoryOrderTests.Batch b)
    {
        if (b.Newest > clock.GetUtcNow())
        {
            clock.SetUtcNow(b.Newest);
        }

        kit.Send(b.Device, b.Events);
        Assert.All(kit.Send(b.Device, b.Events).Results, r => Assert.Equal(ResultStatus.Duplicate, r.Status));
        kit.Pipeline.CloseDueTrips();
    }

    private static string Finish(PipelineKit kit, FakeTimeProvider clock, DateTimeOffset end)
    {
        CardEntry card = TestKit.Registry.FindCard(TestKit.Tok("DEADBEEF"))!;
        Assert.Equal(ChargeStatus.Applied, kit.Pipeline.ApplyValueChange(card, 1000, "R-14-1", ValueChangeKind.TopUp).Status);
        Assert.Equal(ChargeStatus.Duplicate, kit.Pipeline.ApplyValueChange(card, 1000, "R-14-1", ValueChangeKind.TopUp).Status);
        clock.SetUtcNow(end);
        kit.Pipeline.CloseDueTrips();
        return Wallets(kit, end);
    }

    private static string Wallets(PipelineKit kit, DateTimeOffset end)
    {
        var lines = new List<string> { kit.Wallets() };
        foreach (string pid in TestKit.Pids.Order(StringComparer.Ordinal))
        {
            lines.Add(pid + " " + JsonSerializer.Serialize(kit.Store.EntriesOf(pid).Select(e => (e.Key, e.Kind, e.Value, e.Points, e.At, e.RecordedAt, e.Description, e.Adjustment))));
        }

        for (DateTimeOffset day = DayHistoryOrderTests.First.AddDays(-1); day <= end; day = day.AddDays(1))
        {
            string serviceDay = WalletRules.ServiceDay(day).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            lines.Add(serviceDay + " " + JsonSerializer.Serialize(kit.Store.TripsOn(serviceDay).OrderBy(t => t.Pid, StringComparer.Ordinal).ToList()));
            lines.Add("C01 " + JsonSerializer.Serialize(kit.Store.CheckIns("C01", DateOnly.FromDateTime(day.DateTime))));
        }

        lines.Add("debt " + string.Join(',', kit.Store.PersonsInDebt().Order(StringComparer.Ordinal)));
        lines.Add("devices " + JsonSerializer.Serialize(kit.Store.Devices().OrderBy(d => d.Device, StringComparer.Ordinal)));
        return string.Join('\n', lines);
    }
}
