using System.Diagnostics;
using System.Globalization;
using Maebashi.Edge.Contract.Identity;
using Maebashi.Edge.Contract.Messages;
using Maebashi.Edge.Contract.Registry;
using Maebashi.Edge.Ingest.Rules;
using Maebashi.Edge.Ingest.Store;
using Maebashi.Edge.TestSupport;

namespace Maebashi.Edge.Bench.History;

/// <summary>What <see cref="StoreWriter.Write"/> wrote.</summary>
internal sealed record WriteStats(long Taps, int Persons, int Units, long TopUps, long Entries, long Checkpoints, int Debtors, double EvaluateSeconds);

/// <summary>
/// Writes planned taps into an ingest store through its own unit-of-work API (<see cref="IIngestStore.Write{T}"/>), so
/// the layout is exactly the store's, without MQTT and the pipeline: per unit a chunk of persons, each person's taps
/// added, their whole run of days evaluated once (<see cref="WalletRules.EvaluateDays"/> from no checkpoint), and what
/// the pipeline's person evaluator (cloud-ingest/Maebashi.Edge.Ingest/Pipeline/PersonEvaluator.cs) writes for a
/// person's first state: the sector index, the state, the settled days, the wallet entries, the check-ins and
/// participations, the day checkpoints. Then each bus's progress, and a snapshot of the person states.
/// </summary>
internal static class StoreWriter
{
    /// <summary>Most taps in one unit: LiteDB keeps a unit's pages in memory until its commit.</summary>
    private const int UnitTaps = 50_000;

    /// <summary>Most persons in one unit.</summary>
    private const int UnitPersons = 2_000;

    /// <param name="now">The ingest's clock during the writing: closes nothing (every trip has its alight), and is each entry's recorded time.</param>
    public static WriteStats Write(IIngestStore store, CityRegistry registry, CityYear year, string[] tokens, DateTimeOffset now, Action<string> say)
    {
        var sw = Stopwatch.StartNew();
        double rulesSeconds = 0;
        long taps = 0, topUps = 0, entries = 0, checkpoints = 0;
        int persons = 0, units = 0, debtors = 0;
        string[] devices = [.. Enumerable.Range(0, year.Buses).Select(RegistryGenerator.DeviceId)];
        string[] vehicles = [.. devices.Select(d => registry.FindDevice(d)!.Def.Vehicle!)];
        double lastReport = 0;

        // The rules of the next unit's persons run on another core while this unit is written (LiteDB writes on one thread).
        List<(int First, int End)> chunks = Chunks(year);
        Task<PreparedUnit>? next = chunks.Count > 0 ? Task.Run(() => Prepare(registry, year, tokens, devices, vehicles, chunks[0], now)) : null;
        for (int c = 0; c < chunks.Count; c++)
        {
            PreparedUnit unit = next!.GetAwaiter().GetResult();
            int following = c + 1;
            next = following < chunks.Count ? Task.Run(() => Prepare(registry, year, tokens, devices, vehicles, chunks[following], now)) : null;
            store.Write(w =>
            {
                w.LockAhead(unit.Devices, unit.Persons);
                foreach (PreparedPerson person in unit.People)
                {
                    foreach (TapRecord record in person.Taps)
                    {
                        if (!w.TryAddTap(record))
                        {
                            throw new InvalidOperationException($"{record.Device} seq {record.Seq} planned twice");
                        }
                    }

                    foreach (ValueChange change in person.Changes)
                    {
                        w.TryAddValueChange(person.Pid, change);
                    }

                    WriteFirstState(w, registry, person);
                }

                return 0;
            });
            foreach (PreparedPerson person in unit.People)
            {
                entries += person.Entries.Count;
                checkpoints += person.Days.Checkpoints.Count;
                debtors += person.Days.View.InDebt ? 1 : 0;
                topUps += person.Changes.Count;
                taps += person.Taps.Count;
            }

            rulesSeconds += unit.RulesSeconds;
            persons += unit.People.Count;
            units++;
            if (sw.Elapsed.TotalSeconds - lastReport >= 15)
            {
                lastReport = sw.Elapsed.TotalSeconds;
                say(string.Create(CultureInfo.InvariantCulture, $"   … {taps:N0} of {year.Taps.Length:N0} taps, {persons:N0} persons, {units} units in {sw.Elapsed.TotalSeconds:F0} s (rules {rulesSeconds:F0} s, alongside)"));
            }
        }

        // Each bus's progress: the ack's upTo is its last seq.
        ulong[] lastSeq = new ulong[year.Buses];
        long[] lastAt = new long[year.Buses];
        long[] count = new long[year.Buses];
        foreach (PlannedTap t in year.Taps)
        {
            count[t.Device]++;
            if (t.Seq > lastSeq[t.Device])
            {
                lastSeq[t.Device] = t.Seq;
                lastAt[t.Device] = t.AtTicks;
            }
        }

        store.Write(w =>
        {
            w.LockAhead(devices, []);
            for (int d = 0; d < year.Buses; d++)
            {
                if (count[d] > 0)
                {
                    DeviceProgress? before = w.GetDevice(devices[d]);
                    w.PutDevice(new DeviceProgress(devices[d], Math.Max(before?.UpTo ?? 0, lastSeq[d]), new DateTimeOffset(lastAt[d], TimeSpan.Zero).AddSeconds(30), (before?.EventsApplied ?? 0) + count[d]));
                }
            }

            return 0;
        });
        store.WriteSnapshot();
        return new WriteStats(taps, persons, units, topUps, entries, checkpoints, debtors, rulesSeconds);
    }

    /// <summary>A top-up of <see cref="CityYear.MonthlyTopUp"/> ten minutes before the person's first tap of each month (JST).</summary>
    private static List<ValueChange> MonthlyTopUps(string pid, List<TapRecord> records)
    {
        var changes = new List<ValueChange>();
        string? month = null;
        foreach (TapRecord r in records)
        {
            string m = r.At.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM", CultureInfo.InvariantCulture);
            if (m != month)
            {
                month = m;
                changes.Add(new ValueChange($"bench-{pid}-{m}", CityYear.MonthlyTopUp, r.At.AddMinutes(-10)));
            }
        }

        return changes;
    }

    /// <summary>The persons of the units, in order: up to <see cref="UnitTaps"/> taps (at least one person) or <see cref="UnitPersons"/> persons each.</summary>
    private static List<(int First, int End)> Chunks(CityYear year)
    {
        var chunks = new List<(int, int)>();
        int p = 0;
        while (p < year.Persons)
        {
            int first = p;
            while (p < year.Persons && p - first < UnitPersons && (p == first || year.PersonStart[p + 1] - year.PersonStart[first] <= UnitTaps))
            {
                p++;
            }

            if (year.PersonStart[p] > year.PersonStart[first])
            {
                chunks.Add((first, p));
            }
        }

        return chunks;
    }

    private sealed record PreparedPerson(string Pid, List<TapRecord> Taps, List<ValueChange> Changes, DayEvaluation Days, List<WalletEntry> Entries);

    private sealed record PreparedUnit(List<string> Devices, List<string> Persons, List<PreparedPerson> People, double RulesSeconds);

    /// <summary>
    /// A unit's persons with taps: their tap records as the pipeline makes them (IngestPipeline.ApplyBatch), their top-ups,
    /// and the rules over all of their facts from no checkpoint, as PersonEvaluator.Evaluate runs them for a person without
    /// a state (the facts given rather than read back: the same facts).
    /// </summary>
    private static PreparedUnit Prepare(CityRegistry registry, CityYear year, string[] tokens, string[] devices, string[] vehicles, (int First, int End) chunk, DateTimeOffset now)
    {
        var rules = new Stopwatch();
        TimeSpan jst = TimeSpan.FromHours(9);
        var used = new SortedSet<string>(StringComparer.Ordinal);
        var people = new List<PreparedPerson>();
        for (int person = chunk.First; person < chunk.End; person++)
        {
            if (year.PersonStart[person + 1] == year.PersonStart[person])
            {
                continue;
            }

            string pid = registry.FindCard(tokens[person])!.Pid;
            var records = new List<TapRecord>(year.PersonStart[person + 1] - year.PersonStart[person]);
            for (int i = year.PersonStart[person]; i < year.PersonStart[person + 1]; i++)
            {
                PlannedTap t = year.Taps[i];
                var at = new DateTimeOffset(t.AtTicks, TimeSpan.Zero).ToOffset(jst);
                string type = t.Alight ? EventTypes.Alight : EventTypes.Board;
                string vehicle = vehicles[t.Device];
                var e = new TapEvent
                {
                    Seq = t.Seq,
                    Type = type,
                    At = at,
                    Card = new CardRef { Tok = tokens[person], Tech = "iso14443a" },
                    Ctx = new TapContext { Route = "R01", Vehicle = vehicle, Stop = $"S{t.Stop:D2}" },
                    Decision = Decisions.Accept,
                };

                // Received half a minute after the tap.
                records.Add(new TapRecord(devices[t.Device], t.Seq, pid, type, vehicle, at, at.AddSeconds(30), e));
                used.Add(devices[t.Device]);
            }

            List<ValueChange> changes = year.Commutes(person) ? MonthlyTopUps(pid, records) : [];
            rules.Start();
            var history = new PersonHistory
            {
                Person = registry.FindPerson(pid) ?? throw new InvalidOperationException($"{pid} is not in the registry"),
                Taps = [.. records.Select(t => t.ToStoredTap())],
                TripEnds = [],
                ValueChanges = changes,
            };
            DayEvaluation days = WalletRules.EvaluateDays(registry, history, null, now);
            rules.Stop();
            List<WalletEntry> entries = [.. PostingDiff.Changes([], days.View.Postings)
                .Select(c => new WalletEntry(pid, c.Key, c.Kind, c.Value, c.Points, c.Source, c.At, now, c.Description, c.IsAdjustment))];
            people.Add(new PreparedPerson(pid, records, changes, days, entries));
        }

        return new PreparedUnit([.. used], [.. people.Select(x => x.Pid).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], people, rules.Elapsed.TotalSeconds);
    }

    /// <summary>What PersonEvaluator.Evaluate writes for a person without a state, after the rules ran over all of their facts.</summary>
    private static void WriteFirstState(IIngestWrite w, CityRegistry registry, PreparedPerson person)
    {
        string pid = person.Pid;
        if (w.GetPersonForUpdate(pid) is not null)
        {
            throw new InvalidOperationException($"{pid} already has a state: the generator writes first states only");
        }

        w.IndexSector(registry.SectorIdFor(pid, SectorId.Transport), pid);
        WalletView view = person.Days.View;
        var state = new PersonState(pid, view.Value, view.Points, view.PointsBus, view.PointsVolunteer, view.PointsHealth, view.InDebt, view.ReviewAt, 1);
        string welfareId = registry.SectorIdFor(pid, SectorId.Welfare);
        w.PutPerson(
            state,
            new SettledDays(view.Trips, view.Postings),
            person.Entries,
            [.. view.CheckIns.Select(c => new CheckInRecord(pid, c.Clinic, c.Date, c.PatientNo, c.Queue, c.ChildMedicalSubsidy, c.At))],
            [.. view.Participations.Select(x => new ParticipationRecord(pid, x.Event, x.Sector, welfareId, x.In, x.Out, x.Points))],
            DateTimeOffset.MinValue);
        w.PutCheckpoints(pid, person.Days.Checkpoints);
    }
}
